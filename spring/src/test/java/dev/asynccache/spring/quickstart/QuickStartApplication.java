package dev.asynccache.spring.quickstart;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cache.annotation.EnableCaching;

// README quick start (Spring Boot), step 3: an ordinary Boot application with caching enabled.
@SpringBootApplication
@EnableCaching
public class QuickStartApplication {
  public static void main(String[] args) {
    SpringApplication.run(QuickStartApplication.class, args);
  }
}
