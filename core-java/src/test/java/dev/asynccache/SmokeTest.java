package dev.asynccache;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.*;
class SmokeTest { @Test void runs() { assertEquals(Runtime.version().feature() >= 21, true); } }
