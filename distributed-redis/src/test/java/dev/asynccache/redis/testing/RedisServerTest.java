package dev.asynccache.redis.testing;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The fixture itself: a real server that starts, answers, dies and comes back. */
@Timeout(30)
class RedisServerTest {

  @Test
  void startsOnAFreeLoopbackPortAndStops() {
    try (RedisServer redis = RedisServer.start()) {
      assertNotEquals(6379, redis.port());
      assertEquals("+PONG", redis.command("PING"));
      redis.kill();
      assertThrows(IllegalStateException.class, () -> redis.command("PING"));
      redis.restart();
      assertEquals("+PONG", redis.command("PING"));
    }
  }
}
