package dev.asynccache.spring.quickstart;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Repository;

/** The slow backend of the quick start; counts its calls so that the test can see the cache work. */
@Repository
public class ProductRepository {
  final AtomicInteger finds = new AtomicInteger();
  final AtomicInteger prices = new AtomicInteger();

  public Product find(long id) {
    finds.incrementAndGet();
    return new Product(id, "product " + id);
  }

  public CompletableFuture<Long> priceAsync(long id) {
    prices.incrementAndGet();
    return CompletableFuture.supplyAsync(() -> id * 100);
  }
}
