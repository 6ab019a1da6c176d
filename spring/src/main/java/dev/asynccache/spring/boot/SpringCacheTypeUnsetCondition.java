package dev.asynccache.spring.boot;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code spring.cache.type} is not set: an application that names one of Boot's cache
 * types (e.g. {@code none} in tests) gets that one, not ours.
 */
final class SpringCacheTypeUnsetCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    String type = context.getEnvironment().getProperty("spring.cache.type");
    if (type == null) {
      return ConditionOutcome.match("spring.cache.type is not set");
    }
    return ConditionOutcome.noMatch("spring.cache.type is set to '" + type + "': Boot's cache wins");
  }
}
