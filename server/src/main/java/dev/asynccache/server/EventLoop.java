package dev.asynccache.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One thread and one {@link Selector} that serve the requests of many connections while they
 * arrive whole (see {@link HttpConnection#enterLoop}). A connection comes in through {@link
 * #register}, and leaves when the connection asks ({@link #release}): then its key is cancelled,
 * the selector forgets the channel, and only after that is the connection handed back to its own
 * thread, which may then put the channel in blocking mode again.
 *
 * <p>Every touch of a registered connection happens on this thread: events, the tasks given to
 * {@link #execute}, and a sweep every {@value #SWEEP_MILLIS} ms that closes the connections that
 * stayed idle or kept a response unsent for too long. Thread-safe ({@link #execute}, {@link
 * #close} from any thread).
 */
final class EventLoop implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());
  /** The coarse clock's tick: a finer sweep would read the same time. */
  static final long SWEEP_MILLIS = Connections.TICK_MILLIS;

  private final Selector selector;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Connections clock;
  private final Thread thread;
  // connections whose keys were cancelled this round: handed back once the selector forgot them
  private final List<HttpConnection> leaving = new ArrayList<>();
  private volatile boolean closed;
  // written by the loop's thread only (single writer), read by tests
  private volatile long requests;
  private volatile long handOffs;
  private volatile long outputWaits;
  // set once the loop has stopped: a task given later runs on the caller's thread
  private volatile boolean finished;

  EventLoop(String name, Connections clock) {
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    this.clock = clock;
    this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
    thread.start();
  }

  /** Runs {@code task} on this loop's thread, soon. */
  void execute(Runnable task) {
    tasks.add(task);
    selector.wakeup();
    if (finished) {
      runTasks(); // the loop is gone: registering fails, and the connection is handed back
    }
  }

  /** On this loop's thread: a request was served here. */
  void countRequest() {
    requests = requests + 1;
  }

  /** On this loop's thread: a connection went on to its own thread (a request not whole). */
  void countHandOff() {
    handOffs = handOffs + 1;
  }

  /** On this loop's thread: the channel did not take a response at once; the rest waits. */
  void countOutputWait() {
    outputWaits = outputWaits + 1;
  }

  /** What this loop did (see {@link EventLoops.Counts}). */
  EventLoops.Counts counts() {
    return new EventLoops.Counts(requests, handOffs, outputWaits);
  }

  /** Whether the loop has stopped, or is stopping (it no longer takes connections). */
  boolean isClosed() {
    return closed;
  }

  /**
   * On this loop's thread: registers {@code c}'s channel (already non-blocking) for reads.
   *
   * @return the key, or null if the selector is closed (the loop is stopping)
   */
  SelectionKey register(HttpConnection c) throws IOException {
    try {
      return c.channel().register(selector, SelectionKey.OP_READ, c);
    } catch (ClosedSelectorException e) {
      return null;
    }
  }

  /**
   * On this loop's thread: {@code c} leaves the loop. Its key is cancelled now; {@link
   * HttpConnection#leftLoop} is called after the selector has forgotten the channel.
   */
  void release(HttpConnection c, SelectionKey key) {
    key.cancel();
    leaving.add(c);
  }

  private void run() {
    long nextSweep = System.nanoTime() + SWEEP_MILLIS * 1_000_000;
    try {
      while (!closed) {
        int n = selector.select(this::ready, SWEEP_MILLIS);
        runTasks();
        if (n > 0) {
          // A busy loop gives up its core after each round with events, so that the threads it
          // shares the cores with (a client on the same machine, connection threads) run between
          // rounds instead of after a whole time slice: p99 at 50 connections 1.7-4.0 ms with the
          // yield, 4.3-5.2 ms without (perf/RESULTS.md, session 26).
          Thread.yield();
        }
        handBack();
        long now = System.nanoTime();
        if (now - nextSweep >= 0) {
          nextSweep = now + SWEEP_MILLIS * 1_000_000;
          long coarse = clock.now();
          for (SelectionKey k : selector.keys()) {
            if (k.isValid() && k.attachment() instanceof HttpConnection c) {
              c.sweep(coarse);
            }
          }
          handBack();
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        LOG.log(System.Logger.Level.ERROR, "event loop " + thread.getName() + " failed; its connections are closed", e);
      }
    } finally {
      closed = true;
      closeAll();
      finished = true;
      runTasks();
    }
  }

  private void ready(SelectionKey key) {
    if (key.attachment() instanceof HttpConnection c) {
      c.onReady(key);
    }
  }

  private void runTasks() {
    Runnable t;
    while ((t = tasks.poll()) != null) {
      try {
        t.run();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "event loop task failed", e);
      }
    }
  }

  /** Hands the released connections back, once a selection has deregistered their channels. */
  private void handBack() throws IOException {
    while (!leaving.isEmpty()) {
      List<HttpConnection> batch = new ArrayList<>(leaving);
      leaving.clear();
      selector.selectNow(this::ready); // deregisters the cancelled keys (and serves what is ready)
      for (HttpConnection c : batch) {
        c.leftLoop();
      }
    }
  }

  private void closeAll() {
    try {
      runTasks();
      for (SelectionKey k : selector.keys()) {
        if (k.attachment() instanceof HttpConnection c) {
          c.abortInLoop();
        }
      }
      handBack();
    } catch (IOException | RuntimeException ignored) {
      // closing anyway
    } finally {
      try {
        selector.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
