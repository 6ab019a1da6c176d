package dev.asynccache;

/** The default {@link TaskDecorator}: tasks run as they are, with no caller context. */
enum NoTaskDecorator implements TaskDecorator {
  INSTANCE;

  @Override
  public Runnable decorate(Runnable task) {
    return task;
  }

  @Override
  public String toString() {
    return "TaskDecorator.none()";
  }
}
