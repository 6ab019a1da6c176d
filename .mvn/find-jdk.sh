#!/bin/sh
# Prints the home of a JDK whose feature version is at least $1 (default 21), or exits 1.
# Order: $JAVA_HOME, the `java` on the PATH, then the usual install folders (newest first).
# Used by ./mvnw so that nobody has to set JAVA_HOME by hand.
min="${1:-21}"

feature_of() { # $1 = JDK home; prints its feature version (17, 21, 25, ...)
  [ -x "$1/bin/javac" ] || return 1
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null)
  [ -n "$v" ] || return 1
  printf '%s\n' "$v"
}

good() { v=$(feature_of "$1") && [ "$v" -ge "$min" ]; }

if [ -n "${JAVA_HOME-}" ] && good "$JAVA_HOME"; then printf '%s\n' "$JAVA_HOME"; exit 0; fi
if command -v javac >/dev/null 2>&1; then
  home=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  if good "$home"; then printf '%s\n' "$home"; exit 0; fi
fi
best="" bestv=0
for home in /usr/lib/jvm/* /usr/lib64/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* \
            "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
  [ -d "$home" ] || continue
  v=$(feature_of "$home") || continue
  if [ "$v" -ge "$min" ] && [ "$v" -gt "$bestv" ]; then best=$home bestv=$v; fi
done
[ -n "$best" ] || exit 1
printf '%s\n' "$best"
