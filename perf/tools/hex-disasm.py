#!/usr/bin/env python3
"""Disassembles the C2 code that HotSpot prints as hex when no hsdis library is installed.

Temurin ships no hsdis and Debian's (libhsdis0-fcml) does not load into it, so
-XX:CompileCommand=print,<Class>::<method> prints machine code as hex words with the JIT's
annotations between them. This script feeds those bytes to binutils' objdump and puts the
annotations ({virtual_call}, {metadata(...)}, implicit exceptions) back beside the instructions.

Usage (the fork's output, then a substring of the "Compiled method (c2) ..." header: its compile
id or the method's name):

  java -jar perf/target/benchmarks.jar 'RedisTierBenchmark.l1HitTwoLevel$' -f 1 \
      -jvmArgsAppend "-XX:+UnlockDiagnosticVMOptions \
          -XX:CompileCommand=print,dev.asynccache.redis.DefaultRedisCache::get" > out.txt
  python3 perf/tools/hex-disasm.py out.txt 'DefaultRedisCache::get (73 bytes)'

Needs objdump (Debian: binutils). Prints every C2 compilation whose header matches.
"""
import re
import subprocess
import sys
import tempfile


def nmethods(text):
    for block in re.split(r'(?m)^(?====+ (?:C1|C2)-compiled nmethod)', text):
        header = re.search(r'Compiled method \((c[12])\)[^\n]*', block)
        if header and header.group(1) == 'c2' and '[MachCode]' in block:
            yield header.group(0), block[block.find('[MachCode]'):block.find('[/MachCode]')]


def code_and_notes(machcode):
    chunks, notes = [], {}
    for line in machcode.split('\n'):
        m = re.match(r'\s*0x([0-9a-f]+): (.*)', line)
        if not m:
            continue
        address, rest = int(m.group(1), 16), m.group(2)
        if rest.startswith(';'):
            notes.setdefault(address, []).append(rest.strip())
            continue
        hexdigits = re.sub(r'[^0-9a-f]', '', rest.split(';')[0])
        if hexdigits and len(hexdigits) % 2 == 0:
            chunks.append((address, bytes.fromhex(hexdigits)))
    return chunks, notes


def disassemble(chunks, notes):
    start, code = chunks[0][0], bytearray()
    for address, data in chunks:
        offset = address - start
        if offset > len(code):
            code += b'\x90' * (offset - len(code))
        code[offset:offset + len(data)] = data
    with tempfile.NamedTemporaryFile() as f:
        f.write(code)
        f.flush()
        listing = subprocess.run(
            ['objdump', '-D', '-b', 'binary', '-mi386:x86-64', '--adjust-vma=%#x' % start, f.name],
            capture_output=True, text=True, check=True).stdout
    for line in listing.split('\n')[7:]:
        m = re.match(r'\s*([0-9a-f]+):', line)
        if m:
            for note in notes.pop(int(m.group(1), 16), []):
                print('             ' + note)
        if line.strip():
            print(line)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    text = open(sys.argv[1], errors='replace').read()
    found = False
    for header, machcode in nmethods(text):
        if sys.argv[2] in header:
            found = True
            print(header)
            chunks, notes = code_and_notes(machcode)
            if chunks:
                disassemble(chunks, notes)
            print()
    if not found:
        sys.exit('no C2 compilation whose header contains %r in %s' % (sys.argv[2], sys.argv[1]))


if __name__ == '__main__':
    main()
