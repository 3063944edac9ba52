#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Device-level tests of -device tnpu through QEMU's qtest protocol.

usage: test_tnpu.py QEMU [FW_IMAGE]

Starts `QEMU -machine pc -accel qtest -qtest stdio ... -device tnpu`, finds the
device through PCI config space (0xcf8/0xcfc), maps BAR0 and the MSI-X BAR,
enables memory + bus mastering and MSI-X (with message addresses pointing at
guest RAM, so a delivered interrupt is a visible RAM write), then checks
identity registers, firmware boot, NOP/FILL/COPY jobs with status and fence
write-back, MMU faults, DMA to MMIO / outside RAM being refused, device and
system reset (also during a long job), and a seeded random register /
descriptor / page-table pass, after which QEMU must still answer.

Prints TAP and a final "N passed, N failed" line; exit status 1 on failure.
Standard library only.
"""

import base64
import json
import os
import random
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

# ---------------------------------------------------------------- tnpu_hw.h
VENDOR, DEVICE, CLASS = 0x1234, 0x7E5A, 0x1200
NUM_QUEUES, NUM_VECTORS = 4, 5
REG_ID, REG_HW_VERSION, REG_CAPS, REG_HW_CFG = 0x000, 0x004, 0x008, 0x00C
REG_STATUS, REG_CONTROL, REG_BOOT_ERR = 0x010, 0x014, 0x018
REG_FW_VERSION, REG_FW_ABI = 0x01C, 0x020
REG_INT_STATUS, REG_INT_MASK = 0x030, 0x034
REG_FW_ADDR_LO, REG_FW_ADDR_HI, REG_FW_SIZE = 0x040, 0x044, 0x048
REG_CTX_TABLE_LO, REG_CTX_TABLE_HI = 0x050, 0x054
REG_FAULT_STATUS, REG_FAULT_ADDR_LO, REG_FAULT_ADDR_HI = 0x060, 0x064, 0x068
REG_JOBS_DONE, REG_RESET_COUNT = 0x070, 0x074
ID_MAGIC = 0x55504E54
STATUS_FW_READY, STATUS_FW_ERROR, STATUS_RESETTING = 1, 2, 4
STATUS_BUSY, STATUS_BOOTING = 8, 16
CONTROL_RESET, CONTROL_BOOT = 1, 2
INT_BOOT_DONE, INT_MMU_FAULT, INT_RESET_DONE = 1, 2, 4


def INT_QUEUE(q):
    return 1 << (8 + q)


def QREG(q, r):
    return 0x1000 + q * 0x40 + r


Q_RING_LO, Q_RING_HI, Q_SIZE, Q_PRIORITY = 0x00, 0x04, 0x08, 0x0C
Q_FENCE_LO, Q_FENCE_HI, Q_CONTROL, Q_HEAD = 0x10, 0x14, 0x18, 0x1C
Q_TAIL, Q_STATUS, Q_COMPLETED = 0x20, 0x24, 0x28
QSTATUS_ENABLED, QSTATUS_ERROR = 1, 2

JOB_PENDING, JOB_OK, JOB_INVALID_DESC, JOB_INVALID_CMD = 0, 1, 2, 3
JOB_INVALID_ARG, JOB_MMU_FAULT, JOB_DMA_ERROR, JOB_ABORTED = 4, 5, 6, 7
OP_NOP, OP_COPY, OP_FILL, OP_GEMM = 0x00, 0x01, 0x02, 0x10
PTE_V, PTE_R, PTE_W = 1, 2, 4
FAULT_NOT_MAPPED, FAULT_BAD_CONTEXT, FAULT_WALK_DMA = 1, 4, 6
BOOT_OK, BOOT_DMA, BOOT_SIZE, BOOT_CRC, BOOT_BUSY = 0, 1, 2, 6, 8
FW_MAGIC = 0x57464E54


def cmd_hdr(op, flags, size_dw):
    return op | (flags << 8) | (size_dw << 16)


# ---------------------------------------------------------------- layout
# Guest physical addresses (-m 256M).  BARs go in the PCI hole.
BAR0 = 0xE0000000
BAR2 = 0xE0100000
MMIO_TARGET = BAR0            # "RAM" that is really our own registers
OUTSIDE_RAM = 0x7FF000000     # nothing is mapped here on pc (~32 GiB)
FW_PA = 0x00100000
CTX_PA = 0x00200000           # context table, 64 x 16 B
L2_PA, L1_PA, L0_PA = 0x00201000, 0x00202000, 0x00203000
BAD_L0_PA = 0x00204000        # page tables for the hostile context 2
BAD_L2_PA, BAD_L1_PA = 0x00205000, 0x00206000
RING_PA = 0x00210000          # queue rings, 0x1000 apart
FENCE_PA = 0x00218000         # queue fences, 8 B apart
CMD_PA = 0x00220000           # command page (VA 0x40000000)
DATA_PA = 0x00221000          # data pages (VA 0x40001000..)
MSI_PA = 0x00230000           # MSI-X messages land here: vector v at +4v
VA_BASE = 0x40000000
CMD_VA, DATA_VA = VA_BASE, VA_BASE + 0x1000
RING_ENTRIES = 16


# ---------------------------------------------------------------- qtest
class QemuDied(Exception):
    pass


class QTest:
    def __init__(self, qemu, extra, log_path, qmp_path):
        args = [qemu, '-machine', 'pc', '-accel', 'qtest', '-qtest', 'stdio',
                '-display', 'none', '-nodefaults', '-nic', 'none', '-m', '256M',
                '-L', '/usr/share/seabios', '-L', '/usr/share/qemu',
                '-qtest-log', '/dev/null', '-D', log_path, '-d', 'guest_errors',
                '-qmp', 'unix:%s,server=on,wait=off' % qmp_path] + extra
        self.stderr = tempfile.TemporaryFile()
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=self.stderr)
        self.buf = b''
        self.qmp_path = qmp_path
        self.qmp = None

    def alive(self):
        return self.p.poll() is None

    def _line(self, timeout):
        end = time.monotonic() + timeout
        while b'\n' not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise QemuDied('no answer from QEMU within %.0f s' % timeout)
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    raise QemuDied('QEMU exited (status %s)' % self.p.wait())
                self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return line.decode()

    def cmd(self, s, timeout=10):
        try:
            self.p.stdin.write((s + '\n').encode())
            self.p.stdin.flush()
        except BrokenPipeError:
            raise QemuDied('QEMU exited (status %s)' % self.p.wait())
        while True:
            line = self._line(timeout)
            if line.startswith('IRQ'):
                continue
            if not line.startswith('OK'):
                raise QemuDied('qtest: %r -> %r' % (s, line))
            return line[3:].strip()

    def readl(self, a):
        return int(self.cmd('readl 0x%x' % a), 16)

    def writel(self, a, v):
        self.cmd('writel 0x%x 0x%x' % (a, v & 0xFFFFFFFF))

    def readq(self, a):
        return int(self.cmd('readq 0x%x' % a), 16)

    def writeq(self, a, v):
        self.cmd('writeq 0x%x 0x%x' % (a, v & 0xFFFFFFFFFFFFFFFF))

    def write(self, a, data):
        if data:
            self.cmd('b64write 0x%x 0x%x %s' % (a, len(data),
                                                 base64.b64encode(data).decode()))

    def read(self, a, n):
        return base64.b64decode(self.cmd('b64read 0x%x 0x%x' % (a, n)))

    def memset(self, a, n, v):
        self.cmd('memset 0x%x 0x%x 0x%x' % (a, n, v))

    def outl(self, port, v):
        self.cmd('outl 0x%x 0x%x' % (port, v))

    def inl(self, port):
        return int(self.cmd('inl 0x%x' % port), 16)

    def qmp_cmd(self, name, **args):
        if self.qmp is None:
            self.qmp = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.qmp.settimeout(10)
            self.qmp.connect(self.qmp_path)
            self.qmpf = self.qmp.makefile('rw')
            self.qmpf.readline()                    # greeting
            self._qmp_send('qmp_capabilities', {})
        return self._qmp_send(name, args)

    def _qmp_send(self, name, args):
        self.qmpf.write(json.dumps({'execute': name, 'arguments': args}) + '\n')
        self.qmpf.flush()
        while True:
            msg = json.loads(self.qmpf.readline())
            if 'return' in msg or 'error' in msg:
                return msg

    def close(self):
        if self.qmp is not None:
            self.qmp.close()
        if self.alive():
            # QEMU keeps running when the qtest socket closes: terminate it
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors='replace')


# ---------------------------------------------------------------- TAP
class Tap:
    def __init__(self):
        self.n = self.passed = self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if cond:
            self.passed += 1
            print('ok %d - %s' % (self.n, name))
        else:
            self.failed += 1
            print('not ok %d - %s' % (self.n, name))
            if diag:
                for line in str(diag).splitlines():
                    print('# ' + line)
        sys.stdout.flush()
        return cond


def wait_for(fn, timeout=5.0):
    """Poll fn() until it returns a truthy value or the timeout expires."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > end:
            return v
        time.sleep(0.005)


# ---------------------------------------------------------------- PCI
def cfg_addr(dev, off):
    return 0x80000000 | (dev << 11) | (off & 0xFC)


def cfg_read(qt, dev, off, size=4):
    qt.outl(0xCF8, cfg_addr(dev, off))
    v = qt.inl(0xCFC) >> ((off & 3) * 8)
    return v & ((1 << (size * 8)) - 1)


def cfg_write(qt, dev, off, v):
    qt.outl(0xCF8, cfg_addr(dev, off))
    qt.outl(0xCFC, v)


def cfg_write16(qt, dev, off, v):
    old = cfg_read(qt, dev, off & ~3)
    sh = (off & 2) * 8
    cfg_write(qt, dev, off & ~3, (old & ~(0xFFFF << sh)) | (v << sh))


def find_tnpu(qt):
    for dev in range(32):
        if cfg_read(qt, dev, 0) == (DEVICE << 16) | VENDOR:
            return dev
    return None


def find_cap(qt, dev, cap_id):
    ptr = cfg_read(qt, dev, 0x34, 1) & 0xFC
    for _ in range(48):
        if not ptr:
            return None
        if cfg_read(qt, dev, ptr, 1) == cap_id:
            return ptr
        ptr = cfg_read(qt, dev, ptr + 1, 1) & 0xFC
    return None


# ---------------------------------------------------------------- firmware
def py_fw_image(burst=4, version=(1, 0, 0)):
    """Fallback image builder per tnpu_hw.h (header + SCHED section)."""
    payload = struct.pack('<HH', 0x8001, 8) + struct.pack('<II', burst, 0)
    ver = (version[0] << 16) | (version[1] << 8) | version[2]
    hdr = struct.pack('<IHHHHIIIII32s', FW_MAGIC, 64, 1, 1, 0, ver, 0x7,
                      len(payload), zlib.crc32(payload), 0, b'qtest')
    crc = zlib.crc32(hdr)
    hdr = hdr[:28] + struct.pack('<I', crc) + hdr[32:]
    return hdr + payload


def load_fw(path):
    if path:
        with open(path, 'rb') as f:
            return f.read(), path
    return py_fw_image(), 'built by the test (no tnpu-fwbuild output found)'


# ---------------------------------------------------------------- the device
class Tnpu:
    def __init__(self, qt, base=BAR0):
        self.qt, self.base = qt, base

    def r(self, off):
        return self.qt.readl(self.base + off)

    def w(self, off, v):
        self.qt.writel(self.base + off, v)

    def boot(self, image_pa, size):
        self.w(REG_INT_STATUS, 0xFFFFFFFF)
        self.w(REG_FW_ADDR_LO, image_pa & 0xFFFFFFFF)
        self.w(REG_FW_ADDR_HI, image_pa >> 32)
        self.w(REG_FW_SIZE, size)
        self.w(REG_CONTROL, CONTROL_BOOT)
        return wait_for(lambda: self.r(REG_INT_STATUS) & INT_BOOT_DONE)

    def reset(self):
        self.w(REG_INT_STATUS, 0xFFFFFFFF)
        self.w(REG_CONTROL, CONTROL_RESET)
        return wait_for(lambda: self.r(REG_INT_STATUS) & INT_RESET_DONE)

    def setup_queue(self, q, ring, fence, size=RING_ENTRIES, prio=0):
        self.w(QREG(q, Q_CONTROL), 0)
        self.w(QREG(q, Q_RING_LO), ring & 0xFFFFFFFF)
        self.w(QREG(q, Q_RING_HI), ring >> 32)
        self.w(QREG(q, Q_SIZE), size)
        self.w(QREG(q, Q_PRIORITY), prio)
        self.w(QREG(q, Q_FENCE_LO), fence & 0xFFFFFFFF)
        self.w(QREG(q, Q_FENCE_HI), fence >> 32)
        self.w(QREG(q, Q_CONTROL), 1)
        return self.r(QREG(q, Q_STATUS))


def desc(ctx, cmd_va, cmd_size, fence, flags=0, reserved=0):
    return struct.pack('<HHIQQIIQQQQ', ctx, flags, cmd_size, cmd_va, fence,
                       JOB_PENDING, 0xFFFFFFFF, 0, reserved, 0, 0)


class Queue:
    """Host-side view of one ring: submit jobs and wait for their fences."""

    def __init__(self, dev, q, ring_base=RING_PA, fence_base=FENCE_PA):
        self.dev, self.q, self.tail, self.seq = dev, q, 0, 0
        self.ring = ring_base + q * 0x1000
        self.fence = fence_base + q * 8

    def result(self, slot):
        raw = self.dev.qt.read(self.ring + slot * 64 + 24, 16)
        return struct.unpack('<IIQ', raw)   # status, err_offset, duration_ns

    def start(self):
        self.tail = self.seq = 0
        self.dev.qt.memset(self.ring, RING_ENTRIES * 64, 0)
        self.dev.qt.writeq(self.fence, 0)
        return self.dev.setup_queue(self.q, self.ring, self.fence)

    def submit(self, ctx, cmd_va, cmd_size, flags=0, raw=None):
        self.seq += 1
        slot = self.tail
        data = raw if raw is not None else desc(ctx, cmd_va, cmd_size, self.seq, flags)
        self.dev.qt.write(self.ring + slot * 64, data)
        self.tail = (self.tail + 1) % RING_ENTRIES
        self.dev.w(QREG(self.q, Q_TAIL), self.tail)
        return slot, self.seq

    def wait(self, slot, timeout=5.0):
        ok = wait_for(lambda: self.result(slot)[0] != JOB_PENDING, timeout)
        return self.result(slot) if ok else None

    def run(self, ctx, cmd_va, cmd_size, flags=0):
        slot, seq = self.submit(ctx, cmd_va, cmd_size, flags)
        res = self.wait(slot)
        # the fence is stored after the status: wait for it too
        wait_for(lambda: self.dev.qt.readq(self.fence) == seq, 2.0)
        return res, seq


def write_page_tables(qt):
    """Context 1: VA 0x40000000 -> CMD_PA (page 0), DATA_PA.. (pages 1..8).
    Context 2: hostile mappings, see the robustness tests."""
    qt.memset(CTX_PA, 0x7000, 0)
    qt.writeq(CTX_PA + 16 * 1, L2_PA | 1)
    qt.writeq(L2_PA + 8 * ((VA_BASE >> 30) & 0x1FF), L1_PA | PTE_V)
    qt.writeq(L1_PA + 8 * ((VA_BASE >> 21) & 0x1FF), L0_PA | PTE_V)
    qt.writeq(L0_PA, CMD_PA | PTE_V | PTE_R | PTE_W)
    for i in range(8):
        qt.writeq(L0_PA + 8 * (1 + i), (DATA_PA + i * 0x1000) | PTE_V | PTE_R | PTE_W)
    # context 2: page 0 = commands (shared CMD_PA), page 1 -> our own BAR0,
    # page 2 -> outside RAM, page 3 -> the MSI-X BAR, page 4 not mapped
    qt.writeq(CTX_PA + 16 * 2, BAD_L2_PA | 1)
    qt.writeq(BAD_L2_PA + 8 * ((VA_BASE >> 30) & 0x1FF), BAD_L1_PA | PTE_V)
    qt.writeq(BAD_L1_PA + 8 * ((VA_BASE >> 21) & 0x1FF), BAD_L0_PA | PTE_V)
    qt.writeq(BAD_L0_PA, CMD_PA | PTE_V | PTE_R | PTE_W)
    qt.writeq(BAD_L0_PA + 8, MMIO_TARGET | PTE_V | PTE_R | PTE_W)
    qt.writeq(BAD_L0_PA + 16, OUTSIDE_RAM | PTE_V | PTE_R | PTE_W)
    qt.writeq(BAD_L0_PA + 24, BAR2 | PTE_V | PTE_R | PTE_W)
    # context 3: L2 table itself is MMIO; context 4: L2 outside RAM
    qt.writeq(CTX_PA + 16 * 3, MMIO_TARGET | 1)
    qt.writeq(CTX_PA + 16 * 4, OUTSIDE_RAM | 1)


def put_cmds(qt, cmds, va_off=0):
    """Write a command stream at CMD_VA + va_off; returns its size."""
    data = b''.join(cmds)
    qt.write(CMD_PA + va_off, data)
    return len(data)


def nop():
    return struct.pack('<II', cmd_hdr(OP_NOP, 0, 2), 0)


def fill(dst, size, value):
    return struct.pack('<IIQQ', cmd_hdr(OP_FILL, 0, 6), value, dst, size)


def copy(src, dst, size):
    return struct.pack('<IIQQQ', cmd_hdr(OP_COPY, 0, 8), 0, src, dst, size)


# ---------------------------------------------------------------- tests
def run(qemu, fw_path):
    t = Tap()
    tmp = tempfile.mkdtemp(prefix='tnpu-qtest-')
    log_path = os.path.join(tmp, 'qemu.log')
    qt = QTest(qemu, ['-device', 'tnpu'], log_path, os.path.join(tmp, 'qmp.sock'))
    try:
        body(t, qt, fw_path, log_path)
    except QemuDied as e:
        t.ok(False, 'QEMU answered every command',
             '%s\n%s' % (e, '\n'.join(qt.stderr_text().splitlines()[-20:])))
    finally:
        qt.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print('%d passed, %d failed' % (t.passed, t.failed))
    return 0 if t.failed == 0 else 1


def body(t, qt, fw_path, log_path):
    # -- PCI discovery and setup
    dev = find_tnpu(qt)
    if not t.ok(dev is not None, 'tnpu found on PCI bus 0 (1234:7e5a)'):
        return
    t.ok(cfg_read(qt, dev, 0x08) >> 16 == CLASS and cfg_read(qt, dev, 0x08, 1) == 1,
         'class 0x1200, revision 1')
    cfg_write(qt, dev, 0x10, 0xFFFFFFFF)
    t.ok(cfg_read(qt, dev, 0x10) & 0xFFFFFFF0 == 0xFFFF0000, 'BAR0 is 64 KiB memory')
    cfg_write(qt, dev, 0x10, BAR0)
    cfg_write(qt, dev, 0x18, BAR2)
    cfg_write16(qt, dev, 0x04, 0x0006)           # memory + bus master
    msix = find_cap(qt, dev, 0x11)
    t.ok(msix is not None and (cfg_read(qt, dev, msix + 2, 2) & 0x7FF) + 1 == NUM_VECTORS,
         'MSI-X capability with %d vectors' % NUM_VECTORS)
    if msix is not None:
        tbl = cfg_read(qt, dev, msix + 4)
        t.ok(tbl & 7 == 2, 'MSI-X table in BAR2')
        for v in range(NUM_VECTORS):
            e = BAR2 + (tbl & ~7) + 16 * v
            qt.writel(e, MSI_PA + 4 * v)
            qt.writel(e + 4, 0)
            qt.writel(e + 8, 0xA0 + v)
            qt.writel(e + 12, 0)                 # unmask
        cfg_write16(qt, dev, msix + 2, 0x8000)   # enable
    qt.memset(MSI_PA, 64, 0)
    d = Tnpu(qt)

    def msi(v):
        return qt.readl(MSI_PA + 4 * v)

    def clear_msi():
        qt.memset(MSI_PA, 64, 0)

    # -- identity
    t.ok(d.r(REG_ID) == ID_MAGIC, 'ID reads TNPU magic')
    t.ok(d.r(REG_HW_VERSION) == 0x00010000, 'HW_VERSION 1.0')
    caps = d.r(REG_CAPS)
    t.ok(caps & 0xF == 0xF, 'CAPS has GEMM fp32/int8, MMU, COPY/FILL (0x%x)' % caps)
    cfg = d.r(REG_HW_CFG)
    t.ok(cfg & 0xFF == NUM_QUEUES and (cfg >> 16) & 0xFF == 64 and cfg >> 24 == 39,
         'HW_CFG: 4 queues, 64 contexts, 39 VA bits (0x%08x)' % cfg)
    t.ok(d.r(REG_STATUS) & STATUS_FW_READY == 0, 'not FW_READY before boot')
    # non-32-bit and unaligned accesses: rejected by the memory core (read 0)
    t.ok(int(qt.cmd('readw 0x%x' % BAR0), 16) == 0 and
         int(qt.cmd('readb 0x%x' % BAR0), 16) == 0 and qt.readl(BAR0 + 2) == 0,
         '8/16-bit and unaligned reads of BAR0 return 0')
    qt.cmd('writeb 0x%x 0xff' % (BAR0 + REG_INT_MASK))
    t.ok(d.r(REG_INT_MASK) == 0, '8-bit write to INT_MASK ignored')

    # -- firmware boot
    image, origin = load_fw(fw_path)
    print('# firmware: %s (%d bytes)' % (origin, len(image)))
    qt.write(FW_PA, image)
    d.w(REG_FW_ADDR_LO, MMIO_TARGET)                 # image "in" our own BAR
    d.w(REG_FW_SIZE, len(image))
    d.w(REG_INT_STATUS, 0xFFFFFFFF)
    d.w(REG_CONTROL, CONTROL_BOOT)
    wait_for(lambda: d.r(REG_INT_STATUS) & INT_BOOT_DONE)
    t.ok(d.r(REG_BOOT_ERR) == BOOT_DMA and d.r(REG_STATUS) & STATUS_FW_ERROR,
         'boot from an MMIO address fails with BOOT_DMA')
    bad = bytearray(image)
    bad[-1] ^= 0xFF
    qt.write(FW_PA, bytes(bad))
    d.boot(FW_PA, len(bad))
    t.ok(d.r(REG_BOOT_ERR) == BOOT_CRC, 'corrupted payload fails with BOOT_CRC (%d)'
         % d.r(REG_BOOT_ERR))
    qt.write(FW_PA, image)
    clear_msi()
    booted = d.boot(FW_PA, len(image))
    st = d.r(REG_STATUS)
    t.ok(booted and st & STATUS_FW_READY and d.r(REG_BOOT_ERR) == BOOT_OK,
         'firmware boots: FW_READY (status 0x%x, boot_err %d)' % (st, d.r(REG_BOOT_ERR)))
    t.ok(d.r(REG_FW_ABI) >> 16 == 1, 'FW_ABI major 1')
    t.ok(wait_for(lambda: msi(0) == 0xA0), 'BOOT_DONE delivered as MSI-X vector 0')
    if not st & STATUS_FW_READY:
        return

    # -- MMU + queue 0: NOP, FILL, COPY
    write_page_tables(qt)
    d.w(REG_CTX_TABLE_LO, CTX_PA)
    d.w(REG_CTX_TABLE_HI, 0)
    q0 = Queue(d, 0)
    t.ok(q0.start() == QSTATUS_ENABLED, 'queue 0 enabled')
    clear_msi()
    n = put_cmds(qt, [nop()])
    res, seq = q0.run(1, CMD_VA, n)
    t.ok(res is not None and res[0] == JOB_OK, 'NOP job completes OK (%s)' % (res,))
    t.ok(res is not None and 0 < res[2] < 10 ** 9,
         'duration_ns written back from the realtime clock (%s ns)' % (res and res[2],))
    t.ok(qt.readq(q0.fence) == seq and d.r(QREG(0, Q_COMPLETED)) == seq,
         'fence %d stored to guest memory and COMPLETED' % seq)
    t.ok(wait_for(lambda: msi(1) == 0xA1) and d.r(REG_INT_STATUS) & INT_QUEUE(0),
         'completion raises INT_QUEUE(0) and MSI-X vector 1')

    qt.memset(DATA_PA, 0x2000, 0x55)
    n = put_cmds(qt, [fill(DATA_VA, 4096 + 256, 0xDEADBEEF)])
    res, seq = q0.run(1, CMD_VA, n)
    got = qt.read(DATA_PA, 4096 + 260)
    t.ok(res is not None and res[0] == JOB_OK and
         got[:4096 + 256] == struct.pack('<I', 0xDEADBEEF) * (1024 + 64) and
         got[4096 + 256:] == b'\x55' * 4 and qt.readq(q0.fence) == seq,
         'FILL across a page boundary writes exactly its range, fence %d' % seq)
    n = put_cmds(qt, [copy(DATA_VA, DATA_VA + 0x3000, 300), nop()])
    res, seq = q0.run(1, CMD_VA, n)
    t.ok(res is not None and res[0] == JOB_OK and
         qt.read(DATA_PA + 0x3000, 300) == got[:300], 'COPY + NOP stream OK')
    jobs = d.r(REG_JOBS_DONE)
    t.ok(jobs == 3, 'JOBS_DONE counts 3 jobs (%d)' % jobs)

    # -- faults and refused DMA (context 2 maps MMIO / outside RAM)
    d.w(REG_FAULT_STATUS, 1)
    n = put_cmds(qt, [fill(VA_BASE + 0x100000, 64, 1)])
    res, _ = q0.run(1, CMD_VA, n)
    fs = d.r(REG_FAULT_STATUS)
    t.ok(res is not None and res[0] == JOB_MMU_FAULT and fs & 1 and
         (fs >> 4) & 0xF == FAULT_NOT_MAPPED and d.r(REG_FAULT_ADDR_LO) == VA_BASE + 0x100000,
         'FILL to an unmapped VA: MMU_FAULT, fault record latched (0x%x)' % fs)
    d.w(REG_FAULT_STATUS, 1)
    before = [d.r(o) for o in (REG_INT_MASK, REG_CTX_TABLE_LO, REG_FW_SIZE)]
    n = put_cmds(qt, [fill(VA_BASE + 0x1000, 4096, 0xFFFFFFFF)])
    res, _ = q0.run(2, CMD_VA, n)
    t.ok(res is not None and res[0] == JOB_DMA_ERROR and
         [d.r(o) for o in (REG_INT_MASK, REG_CTX_TABLE_LO, REG_FW_SIZE)] == before,
         'FILL onto a page mapped to our own BAR0: DMA_ERROR, registers untouched')
    res, _ = q0.run(2, CMD_VA, put_cmds(qt, [fill(VA_BASE + 0x3000, 64, 7)]))
    t.ok(res is not None and res[0] == JOB_DMA_ERROR, 'FILL onto the MSI-X BAR: DMA_ERROR')
    res, _ = q0.run(2, CMD_VA, put_cmds(qt, [copy(VA_BASE + 0x2000, VA_BASE + 0x5000, 64)]))
    t.ok(res is not None and res[0] in (JOB_DMA_ERROR, JOB_MMU_FAULT),
         'COPY from outside RAM refused (status %s)' % (res,))
    for ctx, what in ((3, 'MMIO'), (4, 'outside RAM')):
        d.w(REG_FAULT_STATUS, 1)
        res, _ = q0.run(ctx, CMD_VA, 8)
        fs = d.r(REG_FAULT_STATUS)
        t.ok(res is not None and res[0] == JOB_MMU_FAULT and (fs >> 4) & 0xF == FAULT_WALK_DMA,
             'page table in %s: MMU_FAULT WALK_DMA (0x%x)' % (what, fs))
    d.w(REG_FAULT_STATUS, 1)
    res, _ = q0.run(9, CMD_VA, 8)
    t.ok(res is not None and res[0] == JOB_MMU_FAULT and
         (d.r(REG_FAULT_STATUS) >> 4) & 0xF == FAULT_BAD_CONTEXT,
         'invalid context entry: MMU_FAULT BAD_CONTEXT')
    res, _ = q0.run(0, CMD_VA, 8)
    t.ok(res is not None and res[0] == JOB_INVALID_DESC, 'context 0: INVALID_DESC')

    # ring and fence in MMIO: queue 1 must halt / drop, never write registers
    d.setup_queue(1, MMIO_TARGET, FENCE_PA + 8)
    d.w(QREG(1, Q_TAIL), 1)
    t.ok(wait_for(lambda: d.r(QREG(1, Q_STATUS)) & QSTATUS_ERROR),
         'ring in MMIO: queue halts with ERROR')
    d.setup_queue(2, OUTSIDE_RAM, FENCE_PA + 16)
    d.w(QREG(2, Q_TAIL), 1)
    t.ok(wait_for(lambda: d.r(QREG(2, Q_STATUS)) & QSTATUS_ERROR),
         'ring outside RAM: queue halts with ERROR')
    q3 = Queue(d, 3)
    q3.start()
    d.w(QREG(3, Q_CONTROL), 0)
    d.setup_queue(3, q3.ring, BAR0 + REG_CTX_TABLE_LO)   # fence "in" CTX_TABLE
    slot, _ = q3.submit(1, CMD_VA, put_cmds(qt, [nop()]))
    res = q3.wait(slot)
    t.ok(res is not None and res[0] == JOB_OK and d.r(REG_CTX_TABLE_LO) == CTX_PA,
         'fence address in BAR0: job completes, fence write refused')
    d.w(QREG(3, Q_CONTROL), 0)

    # -- long job + CONTROL.RESET while it runs
    long_job(t, qt, d, q0, 'CONTROL.RESET', lambda: d.w(REG_CONTROL, CONTROL_RESET))
    t.ok(d.r(REG_RESET_COUNT) >= 1 and d.r(REG_STATUS) & STATUS_FW_READY == 0,
         'after reset: RESET_COUNT moved, firmware dropped')
    t.ok(d.r(REG_INT_STATUS) & INT_RESET_DONE or
         wait_for(lambda: d.r(REG_INT_STATUS) & INT_RESET_DONE),
         'RESET_DONE raised once the aborted job left the engine')
    rebooted = d.boot(FW_PA, len(image)) and d.r(REG_STATUS) & STATUS_FW_READY
    d.w(REG_CTX_TABLE_LO, CTX_PA)
    q0.start()
    res, _ = q0.run(1, CMD_VA, put_cmds(qt, [nop()]))
    t.ok(rebooted and res is not None and res[0] == JOB_OK,
         'device works again after reset (reboot + NOP)')

    # -- system reset (QMP) while a long job runs: exercises the device reset
    long_job(t, qt, d, q0, 'system_reset',
             lambda: qt.qmp_cmd('system_reset'), reset_pci=True, dev=dev, msix=msix)

    # -- random registers, doorbells, descriptors and page tables
    robustness(t, qt, d, dev, image)

    # -- hot-plug a second tnpu, unplug it while a job runs (unrealize)
    hotplug(t, qt, image)

    # -- migration must be refused, not faked
    r = qt.qmp_cmd('migrate', uri='exec:cat >/dev/null')
    t.ok('error' in r and 'tnpu' in str(r), 'migration refused: %s'
         % r.get('error', r).get('desc', r) if isinstance(r.get('error'), dict) else r)

    # -- still alive
    t.ok(qt.alive() and d.r(REG_ID) == ID_MAGIC, 'QEMU alive, ID still reads TNPU')
    try:
        with open(log_path, errors='replace') as f:
            log = f.read()
    except OSError as e:
        log = str(e)
    t.ok('tnpu: queue' in log, 'guest errors logged via LOG_GUEST_ERROR (%d lines)'
         % log.count('\n'))


def hotplug(t, qt, image):
    slot_nr, base = 5, 0xE0200000
    r = qt.qmp_cmd('device_add', driver='tnpu', id='tnpu2', addr='0x%x' % slot_nr)
    t.ok('return' in r and cfg_read(qt, slot_nr, 0) == (DEVICE << 16) | VENDOR,
         'device_add tnpu at slot %d (%s)' % (slot_nr, r))
    cfg_write(qt, slot_nr, 0x10, base)
    cfg_write16(qt, slot_nr, 0x04, 0x0006)
    d2 = Tnpu(qt, base)
    booted = d2.boot(FW_PA, len(image)) and d2.r(REG_STATUS) & STATUS_FW_READY
    d2.w(REG_CTX_TABLE_LO, CTX_PA)
    q = Queue(d2, 0, ring_base=0x00240000, fence_base=0x00248000)
    q.start()
    n = put_long_fill(qt)
    q.submit(5, CMD_VA + 0x800, n)
    busy = wait_for(lambda: d2.r(REG_STATUS) & STATUS_BUSY, 2.0)
    r = qt.qmp_cmd('device_del', id='tnpu2')
    qt.outl(0xAE08, 1 << slot_nr)               # ACPI PCI hotplug: eject
    gone = wait_for(lambda: cfg_read(qt, slot_nr, 0) == 0xFFFFFFFF, 10.0)
    t.ok(booted and busy and gone and qt.alive(),
         'device_del while a job runs: unrealized (booted=%s busy=%s gone=%s)'
         % (bool(booted), bool(busy), gone))


def put_long_fill(qt):
    """Context 5: 1 GiB at VA 0x80000000 with every page -> DATA_PA + 0x7000,
    plus the command page; 16 FILLs of that 1 GiB at CMD_VA + 0x800."""
    L2, L1, L0 = 0x00207000, 0x00208000, 0x00209000
    qt.memset(L2, 0x1000, 0)
    qt.writeq(CTX_PA + 16 * 5, L2 | 1)
    qt.writeq(L2 + 8 * 2, L1 | PTE_V)
    qt.writeq(L2 + 8 * 1, L1_PA | PTE_V)         # commands: as in context 1
    qt.write(L1, struct.pack('<Q', L0 | PTE_V) * 512)
    qt.write(L0, struct.pack('<Q', (DATA_PA + 0x7000) | PTE_V | PTE_R | PTE_W) * 512)
    # 16 x 1 GiB (~0.13 s each here): long enough that a loaded host cannot
    # finish it before the test resets the device
    return put_cmds(qt, [fill(0x80000000, 1 << 30, 0x12345678)] * 16, 0x800)


def long_job(t, qt, d, q0, what, trigger, reset_pci=False, dev=None, msix=None):
    """Run 16 GiB of FILL (a VA range aliasing one page), reset mid-way."""
    if not d.r(REG_STATUS) & STATUS_FW_READY:
        image, _ = load_fw(FW_PATH)
        d.boot(FW_PA, len(image))
        d.w(REG_CTX_TABLE_LO, CTX_PA)
        q0.start()
    n = put_long_fill(qt)
    resets = d.r(REG_RESET_COUNT)
    slot, seq = q0.submit(5, CMD_VA + 0x800, n)
    busy = wait_for(lambda: d.r(REG_STATUS) & STATUS_BUSY, 2.0)
    t0 = time.monotonic()
    trigger()
    if reset_pci:
        # a system reset also clears the PCI command register, BARs, MSI-X
        t.ok(wait_for(lambda: cfg_read(qt, dev, 0x04, 2) & 6 == 0),
             'system_reset cleared the PCI command register')
        cfg_write(qt, dev, 0x10, BAR0)
        cfg_write(qt, dev, 0x18, BAR2)
        cfg_write16(qt, dev, 0x04, 0x0006)
    # the reset returns only once the worker left the job (system_reset) or
    # the device reports RESET_DONE (CONTROL.RESET)
    done = wait_for(lambda: d.r(REG_RESET_COUNT) > resets and
                    not d.r(REG_STATUS) & (STATUS_RESETTING | STATUS_BUSY), 10.0)
    dt = time.monotonic() - t0
    status = q0.result(slot)[0]
    t.ok(busy and done and status == JOB_PENDING and qt.readq(q0.fence) != seq,
         '%s during a running 16 GiB FILL job: job aborted without completion (%.2f s, busy=%s)'
         % (what, dt, bool(busy)))
    if reset_pci:
        t.ok(d.r(REG_ID) == ID_MAGIC and d.r(REG_STATUS) == 0,
             'after system_reset: registers at power-on values')


def robustness(t, qt, d, dev, image):
    rng = random.Random(0x7E5A)
    addrs = [0, 1, 0xFFFFFFFF, FW_PA, CTX_PA, RING_PA, BAR0, BAR0 + 0x1000, BAR2,
             OUTSIDE_RAM & 0xFFFFFFFF, 0xFEE00000, 0xFFFFF000, 0x80000000]
    # boot so queue writes reach the interesting paths
    d.boot(FW_PA, len(image))
    d.w(REG_CTX_TABLE_LO, CTX_PA)
    ops = 0
    try:
        for i in range(3000):
            k = rng.random()
            if k < 0.45:
                off = QREG(rng.randrange(5), rng.randrange(0, 0x40, 4))
            elif k < 0.75:
                off = rng.randrange(0, 0x100, 4)
            else:
                off = rng.randrange(0, 0x10000, 4)
            if off == REG_CONTROL and rng.random() < 0.7:
                off = REG_INT_MASK
            if rng.random() < 0.35:
                d.r(off)
            else:
                r = rng.random()
                if r < 0.3:
                    v = rng.choice(addrs)
                elif r < 0.5:
                    v = rng.randrange(0, 20)
                else:
                    v = rng.getrandbits(32)
                d.w(off, v)
            if i % 97 == 0:
                # garbage descriptors + random page-table bytes, then doorbells
                ring = bytearray(rng.getrandbits(8) for _ in range(RING_ENTRIES * 64))
                for slot in range(0, RING_ENTRIES, 2):
                    # every other slot plausible: valid fields, hostile targets
                    ring[slot * 64:slot * 64 + 64] = desc(
                        rng.randrange(1, 64), VA_BASE + rng.randrange(0, 0x2000, 8),
                        rng.choice([8, 16, 24, 32, 4096]), rng.getrandbits(64))
                qt.write(RING_PA + rng.randrange(4) * 0x1000, bytes(ring))
                qt.write(CMD_PA + rng.randrange(0, 4096, 8),
                         rng.choice([fill(VA_BASE + 0x1000, 64, 1), copy(
                             VA_BASE + 0x1000, VA_BASE + 0x2000, 128), nop(),
                             struct.pack('<Q', rng.getrandbits(64))]))
                qt.write(BAD_L0_PA + rng.randrange(0, 4096, 8),
                         struct.pack('<Q', rng.getrandbits(64)))
                qt.writeq(CTX_PA + 16 * rng.randrange(1, 64),
                          rng.choice(addrs) | rng.randrange(2))
                if not d.r(REG_STATUS) & STATUS_FW_READY:
                    d.boot(FW_PA, len(image))
                for q in range(NUM_QUEUES):
                    d.w(QREG(q, Q_CONTROL), 0)
                    d.setup_queue(q, RING_PA + q * 0x1000,
                                  rng.choice([FENCE_PA + 8 * q, BAR0, OUTSIDE_RAM]))
                    d.w(QREG(q, Q_TAIL), rng.randrange(RING_ENTRIES + 2))
            ops += 1
        t.ok(True, '%d random register/doorbell/descriptor operations' % ops)
    except QemuDied as e:
        t.ok(False, 'random pass', '%s after %d operations' % (e, ops))
        raise
    # let queued garbage drain, then the device must still boot and work
    wait_for(lambda: not d.r(REG_STATUS) & STATUS_BUSY, 10.0)
    t.ok(d.reset(), 'CONTROL.RESET after the random pass completes')
    write_page_tables(qt)
    ok = d.boot(FW_PA, len(image)) and d.r(REG_STATUS) & STATUS_FW_READY
    d.w(REG_CTX_TABLE_LO, CTX_PA)
    q0 = Queue(d, 0)
    q0.start()
    res, _ = q0.run(1, CMD_VA, put_cmds(qt, [nop()]))
    t.ok(ok and res is not None and res[0] == JOB_OK,
         'device still boots and runs a NOP after the random pass')


FW_PATH = None

if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    FW_PATH = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    sys.exit(run(sys.argv[1], FW_PATH))
