package dev.asynccache;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The {@link ConcurrentMap} view of a cache ({@link AsyncCache#asMap()}): reads and writes go to
 * the cache's own entries. See {@link AsyncCache#asMap()} for the semantics.
 */
final class CacheMapView<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V> {
  private final DefaultAsyncCache<K, V> cache;
  private final EntryStore<K, V> store;
  private @Nullable EntrySet entrySet;

  CacheMapView(DefaultAsyncCache<K, V> cache, EntryStore<K, V> store) {
    this.cache = cache;
    this.store = store;
  }

  @Override
  public int size() {
    return (int) Math.min(Integer.MAX_VALUE, cache.size());
  }

  @Override
  public boolean isEmpty() {
    return size() == 0;
  }

  @Override
  public boolean containsKey(Object key) {
    return store.peekLive(key(key)) != null;
  }

  @Override
  public boolean containsValue(Object value) {
    Objects.requireNonNull(value, "value must not be null");
    for (Iterator<Node<K, V>> it = store.nodes(); it.hasNext(); ) {
      Node<K, V> node = it.next();
      if (value.equals(node.value) && store.peekLive(node.key) == node) {
        return true;
      }
    }
    return false;
  }

  @Override
  public @Nullable V get(Object key) {
    return cache.getIfPresent(key(key));
  }

  @Override
  public @Nullable V put(K key, V value) {
    return cache.update(key, EntryStore.Condition.ALWAYS, null, requireValue(value)).previous();
  }

  @Override
  public @Nullable V putIfAbsent(K key, V value) {
    return cache.update(key, EntryStore.Condition.IF_ABSENT, null, requireValue(value)).previous();
  }

  @Override
  public @Nullable V replace(K key, V value) {
    return cache.update(key, EntryStore.Condition.IF_PRESENT, null, requireValue(value)).previous();
  }

  @Override
  public boolean replace(K key, V oldValue, V newValue) {
    Objects.requireNonNull(oldValue, "oldValue must not be null");
    return cache.update(key, EntryStore.Condition.IF_EQUALS, oldValue, requireValue(newValue)).applied();
  }

  @Override
  public @Nullable V remove(Object key) {
    return cache.update(key(key), EntryStore.Condition.ALWAYS, null, null).previous();
  }

  @Override
  public boolean remove(Object key, Object value) {
    K k = key(key);
    if (value == null) {
      return false;
    }
    return cache.update(k, EntryStore.Condition.IF_EQUALS, value, null).applied();
  }

  /**
   * Single-flight: concurrent calls for one absent key run {@code mappingFunction} once, as the
   * cache's {@code get} does (a {@code null} result maps nothing).
   */
  @Override
  public @Nullable V computeIfAbsent(K key, Function<? super K, ? extends V> mappingFunction) {
    Objects.requireNonNull(mappingFunction, "mappingFunction must not be null");
    return cache.get(key, () -> mappingFunction.apply(key));
  }

  @Override
  public void clear() {
    cache.clear();
  }

  @Override
  public Set<Entry<K, V>> entrySet() {
    EntrySet es = entrySet;
    return es != null ? es : (entrySet = new EntrySet());
  }

  @SuppressWarnings("unchecked")
  private static <K> K key(@Nullable Object key) {
    return (K) Objects.requireNonNull(key, "key must not be null");
  }

  private static <V> V requireValue(@Nullable V value) {
    return Objects.requireNonNull(value, "value must not be null");
  }

  private final class EntrySet extends AbstractSet<Entry<K, V>> {
    @Override
    public int size() {
      return CacheMapView.this.size();
    }

    @Override
    public boolean isEmpty() {
      return CacheMapView.this.isEmpty();
    }

    @Override
    public void clear() {
      CacheMapView.this.clear();
    }

    @Override
    public boolean contains(Object o) {
      if (!(o instanceof Entry<?, ?> e) || e.getKey() == null || e.getValue() == null) {
        return false;
      }
      Node<K, V> node = store.peekLive(CacheMapView.<K>key(e.getKey()));
      return node != null && node.value.equals(e.getValue());
    }

    @Override
    public boolean remove(Object o) {
      if (!(o instanceof Entry<?, ?> e) || e.getKey() == null || e.getValue() == null) {
        return false;
      }
      return CacheMapView.this.remove(e.getKey(), e.getValue());
    }

    @Override
    public Iterator<Entry<K, V>> iterator() {
      return new EntryIterator();
    }
  }

  /** Weakly consistent, as a {@link java.util.concurrent.ConcurrentHashMap}'s; skips expired entries. */
  private final class EntryIterator implements Iterator<Entry<K, V>> {
    private final Iterator<Node<K, V>> nodes = store.nodes();
    private @Nullable Entry<K, V> next;
    private @Nullable K last;

    @Override
    public boolean hasNext() {
      while (next == null && nodes.hasNext()) {
        Node<K, V> node = nodes.next();
        if (store.peekLive(node.key) == node) {
          next = new WriteThroughEntry(node.key, node.value);
        }
      }
      return next != null;
    }

    @Override
    public Entry<K, V> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Entry<K, V> e = Objects.requireNonNull(next);
      next = null;
      last = e.getKey();
      return e;
    }

    @Override
    public void remove() {
      K k = last;
      if (k == null) {
        throw new IllegalStateException("next() was not called, or remove() was already called");
      }
      CacheMapView.this.remove(k);
      last = null;
    }
  }

  /** An entry whose {@code setValue} writes to the cache. */
  private final class WriteThroughEntry extends SimpleEntry<K, V> {
    private static final long serialVersionUID = 1L;

    WriteThroughEntry(K key, V value) {
      super(key, value);
    }

    @Override
    public V setValue(V value) {
      V old = super.setValue(requireValue(value));
      CacheMapView.this.put(getKey(), value);
      return old;
    }
  }
}
