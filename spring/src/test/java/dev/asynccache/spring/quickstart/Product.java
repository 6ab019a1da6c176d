package dev.asynccache.spring.quickstart;

/** A value of the quick start. */
public record Product(long id, String name) {}
