package dev.asynccache.spring.quickstart;

import java.util.concurrent.CompletableFuture;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.stereotype.Service;

// README quick start (Spring Boot), step 3: @Cacheable methods, now backed by async-cache.
@Service
public class ProductService {
  private final ProductRepository repository;

  public ProductService(ProductRepository repository) {
    this.repository = repository;
  }

  /** sync = true: 1,000 concurrent misses of one id run find(id) once. */
  @Cacheable(cacheNames = "products", sync = true)
  public Product product(long id) {
    return repository.find(id);
  }

  /** Cached without blocking a thread while the price is computed. */
  @Cacheable("prices")
  public CompletableFuture<Long> price(long id) {
    return repository.priceAsync(id);
  }
}
