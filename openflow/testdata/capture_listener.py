#!/usr/bin/env python3
"""Tiny OpenFlow 1.3 listener used to capture openflow/testdata/*.bin.

Usage: capture_listener.py PORT OUTDIR PREFIX
Accepts connections on 127.0.0.1:PORT until none comes for 2 s (ovs-ofctl
opens a second connection after reading table features), answers what
ovs-ofctl waits for (HELLO, echo, features, config, barrier, multipart
replies, ONF and OF1.4 bundle control replies) and writes every message it
receives to OUTDIR/PREFIX_NN_tTYPE.bin. See capture.sh for the commands.
"""
import socket, struct, sys, os
port = int(sys.argv[1]); outdir = sys.argv[2]; prefix = sys.argv[3]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port)); s.listen(1); s.settimeout(10)
open(os.path.join(outdir, '.ready-' + prefix), 'w').close()  # capture.sh waits for this
n = 0
def serve(c):
  global n
  buf = b''
  def send(t, xid, body=b'', ver=4):
      c.sendall(struct.pack('!BBHI', ver, t, 8 + len(body), xid) + body)
  send(0, 1, struct.pack('!HHI', 1, 8, 0x10))
  try:
      while True:
          d = c.recv(65536)
          if not d: break
          buf += d
          while len(buf) >= 8:
              ver, t, ln, xid = struct.unpack('!BBHI', buf[:8])
              if len(buf) < ln: break
              m, buf = buf[:ln], buf[ln:]
              open(os.path.join(outdir, '%s_%02d_t%d.bin' % (prefix, n, t)), 'wb').write(m); n += 1
              body = m[8:]
              if t == 2: send(3, xid, body)
              elif t == 5: send(6, xid, struct.pack('!QIBBxxII', 1, 0, 254, 0, 0x4f, 0))
              elif t == 7: send(8, xid, struct.pack('!HH', 0, 128))
              elif t == 20: send(21, xid)
              elif t == 18:
                  mpt, = struct.unpack('!H', body[:2])
                  rb = b''
                  if mpt == 0: rb = b'\0' * 1056
                  if mpt == 2: rb = b'\0' * 24
                  if mpt == 11: rb = struct.pack('!IIIBBxx', 100, 2, 0xf, 4, 0)
                  if mpt == 13: rb = struct.pack('!Ixxxx6sxx16sIIIIIIII', 1, b'\x00\x11\x22\x33\x44\x01', b'p1', 0, 4, 0x2820, 0, 0, 0, 10000000, 10000000)
                  if mpt == 8: rb = b'\0' * 40
                  if mpt == 12:
                      def prop(pt, content):
                          ln = 4 + len(content); pad = (8 - ln % 8) % 8
                          return struct.pack('!HH', pt, ln) + content + b'\0' * pad
                      insts = b''.join(struct.pack('!HH', i, 4) for i in (1, 2, 3, 4, 5, 6))
                      acts = b''.join(struct.pack('!HH', a, 4) for a in (0, 11, 12, 17, 18, 21, 22, 23, 24, 25))
                      oxms = b''.join(struct.pack('!I', 0x80000000 | (f << 9) | ln) for f, ln in ((0,4),(3,6),(4,6),(5,2),(6,2),(10,1),(11,4),(12,4)))
                      props = prop(0, insts) + prop(2, bytes([1])) + prop(4, acts) + prop(6, acts) + prop(8, oxms) + prop(10, oxms) + prop(12, oxms) + prop(14, oxms)
                      rb = struct.pack('!HBxxxxx32sQQII', 64 + len(props), 0, b'table0', 0, 0, 0, 1000000) + props
                  send(19, xid, struct.pack('!HHxxxx', mpt, 0) + rb)
              elif t == 4:
                  exp, expt = struct.unpack('!II', body[:8])
                  if expt == 2300:
                      bid, bt, fl = struct.unpack('!IHH', body[8:16])
                      send(4, xid, struct.pack('!IIIHH', exp, expt, bid, bt + 1, fl))
              elif t == 33:
                  bid, bt, fl = struct.unpack('!IHH', body[:8])
                  send(33, xid, struct.pack('!IHH', bid, bt + 1, fl), ver)
  except socket.timeout:
      pass

while True:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    c.settimeout(2); s.settimeout(2)
    serve(c); c.close()
