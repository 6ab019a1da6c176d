package dev.asynccache;
final class Placeholder {}
