package dev.asynccache.spring.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.asynccache.spring.AsyncCacheManager;
import dev.asynccache.spring.AsyncCacheSpringCache;
import dev.asynccache.spring.boot.AsyncCacheProperties;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.cache.CacheManager;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Runs the README's Spring Boot quick start as a real SpringApplication: the dependency (this
 * module on the classpath), the property (src/test/resources/quickstart.properties, the README's
 * application.properties) and the {@code @Cacheable} service.
 */
class QuickStartTest {

  @Test
  void theQuickStartCachesThroughAsyncCache() throws Exception {
    SpringApplication app = new SpringApplication(QuickStartApplication.class);
    app.setWebApplicationType(WebApplicationType.NONE);
    try (ConfigurableApplicationContext context = app.run("--spring.config.name=quickstart")) {
      CacheManager manager = context.getBean(CacheManager.class);
      assertInstanceOf(AsyncCacheManager.class, manager);

      ProductService service = context.getBean(ProductService.class);
      ProductRepository repository = context.getBean(ProductRepository.class);
      assertEquals(new Product(1, "product 1"), service.product(1));
      assertEquals(new Product(1, "product 1"), service.product(1));
      assertEquals(1, repository.finds.get());

      assertEquals(500L, service.price(5).get(30, TimeUnit.SECONDS));
      dev.asynccache.testing.Concurrency.awaitTrue("the price was cached",
          () -> manager.getCache("prices").get(5L) != null);
      assertEquals(500L, service.price(5).get(30, TimeUnit.SECONDS));
      assertEquals(1, repository.prices.get());

      // The property was bound (AsyncCacheAutoConfigurationTest shows bound TTLs expire entries).
      assertEquals(Duration.ofMinutes(10),
          context.getBean(AsyncCacheProperties.class).defaults().defaultTtl());
      AsyncCacheSpringCache products = (AsyncCacheSpringCache) manager.getCache("products");
      assertEquals(1, products.getNativeCache().size());
    }
  }
}
