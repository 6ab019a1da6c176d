package dev.asynccache.spring.boot;

import dev.asynccache.AsyncCache;
import dev.asynccache.spring.AsyncCacheBuilderCustomizer;
import dev.asynccache.spring.AsyncCacheFactory;
import dev.asynccache.spring.AsyncCacheManager;
import java.util.LinkedHashSet;
import java.util.Set;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.cache.autoconfigure.CacheManagerCustomizer;
import org.springframework.boot.cache.autoconfigure.CacheManagerCustomizers;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cache.CacheManager;
import org.springframework.cache.interceptor.CacheAspectSupport;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * Makes an {@link AsyncCacheManager} the application's {@link CacheManager} when caching is
 * enabled ({@code @EnableCaching}), as Spring Boot does for its own caches. It backs off when the
 * application defines a {@code CacheManager} (or a {@code cacheResolver}), when {@code
 * async-cache.enabled=false}, and when {@code spring.cache.type} is set (Boot's choice then wins).
 *
 * <p>The caches are built from {@link AsyncCacheProperties} ({@code async-cache.*}) and the {@link
 * AsyncCacheBuilderCustomizer} beans, unless the application defines an {@link AsyncCacheFactory}
 * bean (e.g. a two-level Redis cache), which then makes every cache. Every {@link
 * CacheManagerCustomizer} bean whose type fits is applied last.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration")
@ConditionalOnClass({CacheManager.class, AsyncCache.class, CacheManagerCustomizers.class})
@ConditionalOnBean(CacheAspectSupport.class)
@ConditionalOnMissingBean(value = CacheManager.class, name = "cacheResolver")
@ConditionalOnBooleanProperty(name = "async-cache.enabled", matchIfMissing = true)
@Conditional(SpringCacheTypeUnsetCondition.class)
@EnableConfigurationProperties(AsyncCacheProperties.class)
public final class AsyncCacheAutoConfiguration {

  /** Created by Spring Boot. */
  AsyncCacheAutoConfiguration() {}

  @Bean
  AsyncCacheManager cacheManager(
      AsyncCacheProperties properties,
      ObjectProvider<AsyncCacheFactory> factory,
      ObjectProvider<AsyncCacheBuilderCustomizer> builderCustomizers,
      ObjectProvider<CacheManagerCustomizer<?>> managerCustomizers) {
    AsyncCacheFactory caches =
        factory.getIfAvailable(
            () ->
                AsyncCacheFactory.fromSpecs(
                    properties.defaults(),
                    properties.overrides(),
                    builderCustomizers.orderedStream().toList()));
    AsyncCacheManager manager = new AsyncCacheManager(caches, properties.allowNullValues());
    if (!properties.cacheNames().isEmpty()) {
      Set<String> names = new LinkedHashSet<>(properties.cacheNames());
      names.addAll(properties.caches().keySet());
      manager.setCacheNames(names);
    } else {
      properties.caches().keySet().forEach(manager::getCache); // created now: bad settings fail now
    }
    return new CacheManagerCustomizers(managerCustomizers.orderedStream().toList())
        .customize(manager);
  }
}
