package dev.asynccache.redis;

/** The state of a cache's circuit breaker in front of Redis. */
public enum BreakerState {
  /** Redis is called normally. */
  CLOSED,
  /** Redis failed repeatedly; it is not called until the open time has passed. */
  OPEN,
  /** The open time has passed; one probe call is let through to decide. */
  HALF_OPEN
}
