# SPDX-License-Identifier: MIT
#
# tnpu - an open stack for an emulated inference accelerator.
#
# The two commands a newcomer needs (each installs the Debian packages it
# needs first, then builds everything):
#
#   make demo    boot the VM and classify digits on the emulated NPU
#   make test    run every test suite; last line: "N passed, N failed, N skipped"
#
# Pieces, in build order (all outputs go to build/, except the kernel
# module's objects, which Kbuild keeps in driver/ and the top level):
#
#   make deps        scripts/deps.sh: Debian packages (idempotent)
#   make qemu        scripts/build-qemu.sh: Debian's QEMU 7.2 + -device tnpu (cached)
#   make firmware    firmware-stub/: command processor, tnpu-fw.bin
#   make driver      driver/: tnpu.ko for Debian's 6.12 kernel
#   make runtime     runtime/: libtnpu, tnpu-info, tnpu-digits
#   make guest       everything the VM needs, installed into build/guest
#   make initramfs   build/initramfs-<kver>.cpio.gz (busybox, drm modules, build/guest)
#   make vm          interactive shell in the VM with tnpu.ko loaded (Ctrl-A X quits)
#   make test-debug  only the debug-kernel suites (KUnit, KASAN, lockdep, kmemleak)
#   make bench       benchmarks in the VM
#   make clean       remove build/ and the driver's Kbuild objects

BUILD := $(CURDIR)/build
GUEST := $(BUILD)/guest
VM := scripts/vm.sh
# Extra scripts/vm.sh options, e.g. VM_ARGS="--kernel /path/bzImage --kver ...".
VM_ARGS ?=
DEMO_ARGS ?=

.PHONY: all deps qemu firmware driver runtime tests-vm bench-bins guest initramfs \
	vm demo test test-debug bench clean help

help:
	@sed -n '3,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

# Everything the demo and the tests need, without installing packages.
all: qemu initramfs

deps:
	scripts/deps.sh

# build-qemu.sh prints the binary's path on stdout; vm.sh calls it again
# (a cache hit takes well under a second).
qemu:
	@scripts/build-qemu.sh

firmware:
	$(MAKE) -C firmware-stub O=$(BUILD)/firmware all

driver:
	$(MAKE) -C driver all

runtime:
	$(MAKE) -C runtime O=$(BUILD)/runtime all

tests-vm:
	$(MAKE) -C tests/vm O=$(BUILD)/tests/vm all

bench-bins:
	$(MAKE) -C bench O=$(BUILD)/bench all

# The guest tree is rebuilt from scratch each time so nothing stale
# (a renamed test, an old library) ends up in the VM.
guest: firmware driver runtime tests-vm bench-bins
	rm -rf $(GUEST)
	$(MAKE) -C firmware-stub O=$(BUILD)/firmware install-guest DESTDIR=$(GUEST)
	$(MAKE) -C driver install-guest DESTDIR=$(GUEST)
	$(MAKE) -C runtime O=$(BUILD)/runtime install-guest DESTDIR=$(GUEST)
	$(MAKE) -C tests/vm O=$(BUILD)/tests/vm install-guest DESTDIR=$(GUEST)
	$(MAKE) -C bench O=$(BUILD)/bench install-guest DESTDIR=$(GUEST)
	install -D -m 0755 tests/vm/module-cycle.sh $(GUEST)/usr/bin/tnpu-module-cycle
	install -D -m 0755 tests/vm/kmemleak.sh $(GUEST)/usr/bin/tnpu-kmemleak
	install -D -m 0755 scripts/guest-kunit $(GUEST)/usr/bin/tnpu-kunit

initramfs: guest
	scripts/mkinitramfs.sh

vm: all
	$(VM) $(VM_ARGS) --interactive

demo:
	scripts/deps.sh
	$(MAKE) all
	$(VM) $(VM_ARGS) -- tnpu-digits $(DEMO_ARGS)

# run-all.sh runs every suite (unit tests, lint, qtest, the VM suites on
# Debian's kernel and on the debug kernel with KUnit, kmemleak and the
# harness self-test) in two lanes side by side (TNPU_TEST_JOBS=1: in turn),
# saves logs in build/test-logs/ and prints the summary.
test:
	scripts/deps.sh
	$(MAKE) all
	TNPU_VM_ARGS="$(VM_ARGS)" tests/run-all.sh

# The debug-kernel suites alone: KUnit, the VM suite under KASAN, lockdep
# and kmemleak (with a leak scan after unload), the module cycle, and the
# harness self-test that plants bugs and expects the checkers to catch them.
# The project's debug kernel is built on first use (~5-10 min, then cached);
# DEBUG_KDIR=<your built kernel tree> runs them on your own kernel instead.
DEBUG_KDIR ?=
DEBUG_SUITES := kunit vm-debug module-cycle-debug harness
test-debug:
	scripts/deps.sh
	$(MAKE) all
	TNPU_DEBUG_VM_ARGS="$$(scripts/debug-guest.sh $(DEBUG_KDIR))" && \
	export TNPU_DEBUG_VM_ARGS && tests/run-all.sh $(DEBUG_SUITES)

bench:
	$(MAKE) all
	bench/run.sh $(VM_ARGS)

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C driver clean
