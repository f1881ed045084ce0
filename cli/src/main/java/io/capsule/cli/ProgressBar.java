package io.capsule.cli;

import java.io.PrintWriter;

/**
 * A progress bar on stderr: redrawn in place on a terminal ({@code label [#####-----] 5/10 50%}),
 * or one line per tenth when stderr is a file or a pipe, so logs stay readable.
 */
final class ProgressBar {
  private static final int WIDTH = 30;

  private final PrintWriter err;
  private final String label;
  private final boolean interactive;
  private long total;
  private long done;
  private long lastTenth = -1;
  private long lastDrawNanos;
  private boolean finished;

  ProgressBar(PrintWriter err, String label, long total, boolean interactive) {
    this.err = err;
    this.label = label;
    this.total = total;
    this.interactive = interactive;
  }

  /** A bar that redraws in place when the JVM has a console. */
  static ProgressBar onStderr(PrintWriter err, String label, long total) {
    return new ProgressBar(err, label, total, System.console() != null);
  }

  /** Sets the total (when it is learnt late). */
  synchronized void total(long total) {
    this.total = total;
  }

  /** One more unit done. */
  synchronized void step() {
    update(done + 1);
  }

  /** This many units done. */
  synchronized void update(long done) {
    if (finished) {
      return;
    }
    this.done = done;
    long now = System.nanoTime();
    if (interactive && done < total && now - lastDrawNanos < 100_000_000L) {
      return;
    }
    lastDrawNanos = now;
    draw();
  }

  /** Draws the final state and ends the line. */
  synchronized void finish() {
    if (finished) {
      return;
    }
    finished = true;
    if (interactive) {
      err.print("\r" + render() + System.lineSeparator());
    } else if (tenth() != lastTenth) {
      err.println(render());
    }
    err.flush();
  }

  String render() {
    int filled = total == 0 ? WIDTH : (int) (WIDTH * Math.min(done, total) / total);
    long percent = total == 0 ? 100 : 100 * Math.min(done, total) / total;
    return String.format(
        "%s [%s%s] %d/%d %d%%",
        label, "#".repeat(filled), "-".repeat(WIDTH - filled), done, total, percent);
  }

  private void draw() {
    if (interactive) {
      err.print("\r" + render());
    } else {
      long tenth = tenth();
      if (tenth == lastTenth) {
        return;
      }
      lastTenth = tenth;
      err.println(render());
    }
    err.flush();
  }

  private long tenth() {
    return total == 0 ? 10 : 10 * Math.min(done, total) / total;
  }
}
