/** async-cache core: see {@link dev.asynccache.AsyncCache}. */
module dev.asynccache {
  requires static transitive org.jspecify;
  requires org.slf4j;
  exports dev.asynccache;
  exports dev.asynccache.memoize;
  exports dev.asynccache.persistence;
}
