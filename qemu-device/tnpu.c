/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tnpu - PCI model of the tnpu inference accelerator.
 *
 * The register file, boot handshake, queues, MMU and ops all live in the
 * portable command processor (tnpu_cp.h, the device's "firmware"); this file
 * is the QEMU shell around it:
 *
 *   vCPU MMIO (BQL) --lock--> tnpu_cp_mmio_read/write: latch state only,
 *                             signal the worker
 *   worker thread   --lock--> tnpu_cp_next (boot/reset work, fetch a job)
 *                   unlocked  tnpu_cp_execute (DMA to guest RAM only)
 *                   --lock--> tnpu_cp_finish (write back, fence, IRQ bits)
 *   raise_irq (any thread): set a bit in an atomic mask, schedule a BH
 *   BH (main loop, BQL): msix_notify() for each pending vector
 *
 * The worker never takes the BQL and never touches MMIO (the DMA HAL only
 * accepts ranges that are entirely guest RAM), so a vCPU holding the BQL may
 * wait for it, which is what reset does.
 *
 * Copyright (c) 2026 The tnpu authors
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/rcu.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "exec/memory.h"
#include "hw/pci/pci.h"
#include "hw/pci/msix.h"
#include "migration/vmstate.h"
#include "qom/object.h"

#include "tnpu_cp.h"

#define TYPE_TNPU "tnpu"
OBJECT_DECLARE_SIMPLE_TYPE(TnpuState, TNPU)

QEMU_BUILD_BUG_ON(TNPU_NUM_VECTORS > 32);   /* irq_pending is a u32 mask */

struct TnpuState {
    PCIDevice parent_obj;

    MemoryRegion regs;          /* BAR0 */

    /* Protects cp, stopping, in_execute. Never held while taking the BQL. */
    QemuMutex lock;
    QemuCond work_cond;         /* worker: "there may be work" */
    QemuCond idle_cond;         /* reset: "worker left tnpu_cp_execute" */
    QemuThread worker;
    bool worker_started;
    bool stopping;
    bool in_execute;

    struct tnpu_hal hal;
    struct tnpu_cp cp;

    QEMUBH *irq_bh;
    uint32_t irq_pending;       /* atomic: bit v = MSI-X vector v pending */
};

/*
 * ---- HAL: DMA to guest RAM only ----
 */

/*
 * Copy between @buf and guest RAM at bus address [@addr, @addr + @len).
 * Every piece of the range is resolved with a MemoryRegionCache, which
 * holds a reference on the RAM region and gives a host pointer only if the
 * region is directly accessible RAM (writable RAM for writes).  Anything
 * else - MMIO (our own BAR included), ROM for writes, unassigned space, an
 * IOMMU region, or bus mastering disabled - fails the whole access, so the
 * worker never dispatches an MMIO access (no re-entrancy, no BQL needed).
 *
 * With @buf == NULL only the check is done.  Writes check the whole range
 * first so a normal failure writes nothing; only a concurrent change of the
 * guest memory map between check and copy can leave a partial write.
 */
static int tnpu_dma_rw(TnpuState *s, uint64_t addr, void *buf, size_t len,
                       bool is_write)
{
    AddressSpace *as = pci_get_address_space(PCI_DEVICE(s));
    uint8_t *p = buf;

    if (len == 0) {
        return 0;
    }
    if (addr + len - 1 < addr) {
        return -1;              /* wraps around the 64-bit bus */
    }
    while (len > 0) {
        MemoryRegionCache cache = MEMORY_REGION_CACHE_INVALID;
        int64_t l = address_space_cache_init(&cache, as, addr, len, is_write);

        if (l <= 0 || !cache.ptr) {
            address_space_cache_destroy(&cache);
            return -1;
        }
        if (p) {
            if (is_write) {
                address_space_write_cached(&cache, 0, p, l);
                /* dirty bitmap + TB invalidation, as address_space_write */
                address_space_cache_invalidate(&cache, 0, l);
            } else {
                address_space_read_cached(&cache, 0, p, l);
            }
            p += l;
        }
        address_space_cache_destroy(&cache);
        addr += l;
        len -= l;
    }
    return 0;
}

static int tnpu_hal_dma_read(void *opaque, uint64_t addr, void *buf,
                             size_t len)
{
    TnpuState *s = opaque;

    return tnpu_dma_rw(s, addr, buf, len, false);
}

static int tnpu_hal_dma_write(void *opaque, uint64_t addr, const void *buf,
                              size_t len)
{
    TnpuState *s = opaque;

    if (tnpu_dma_rw(s, addr, NULL, len, true) < 0) {
        return -1;
    }
    return tnpu_dma_rw(s, addr, (void *)buf, len, true);
}

/*
 * ---- HAL: interrupts, clock, log ----
 */

static void tnpu_hal_raise_irq(void *opaque, unsigned int vector)
{
    TnpuState *s = opaque;

    if (vector >= TNPU_NUM_VECTORS) {
        return;
    }
    qatomic_or(&s->irq_pending, 1u << vector);
    qemu_bh_schedule(s->irq_bh);
}

/* Runs in the main loop with the BQL held. */
static void tnpu_irq_bh(void *opaque)
{
    TnpuState *s = opaque;
    PCIDevice *pdev = PCI_DEVICE(s);
    uint32_t pending = qatomic_xchg(&s->irq_pending, 0);
    unsigned int v;

    /*
     * The device only signals through MSI-X (it has no INTx pin): with
     * MSI-X disabled the message is dropped.  The cause stays latched in
     * INT_STATUS for a polling driver.
     */
    if (!msix_enabled(pdev)) {
        return;
    }
    for (v = 0; v < TNPU_NUM_VECTORS; v++) {
        if (pending & (1u << v)) {
            msix_notify(pdev, v);
        }
    }
}

/*
 * Host monotonic time.  Jobs run on a host thread whatever the vCPUs do, so
 * their duration is host time; QEMU_CLOCK_VIRTUAL would stand still under
 * qtest and while the VM is stopped, and follow vCPU progress under icount.
 */
static uint64_t tnpu_hal_clock_ns(void *opaque)
{
    return qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
}

static void G_GNUC_PRINTF(2, 3) tnpu_hal_log(void *opaque, const char *fmt,
                                             ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    if (!qemu_loglevel_mask(LOG_GUEST_ERROR)) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qemu_log_mask(LOG_GUEST_ERROR, "%s%s%s",
                  g_str_has_prefix(msg, "tnpu") ? "" : "tnpu: ", msg,
                  g_str_has_suffix(msg, "\n") ? "" : "\n");
}

/*
 * ---- BAR0 ----
 */

static uint64_t tnpu_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    TnpuState *s = opaque;
    uint32_t val;

    qemu_mutex_lock(&s->lock);
    val = tnpu_cp_mmio_read(&s->cp, addr);
    qemu_mutex_unlock(&s->lock);
    return val;
}

static void tnpu_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    TnpuState *s = opaque;

    qemu_mutex_lock(&s->lock);
    if (tnpu_cp_mmio_write(&s->cp, addr, val)) {
        qemu_cond_signal(&s->work_cond);
    }
    qemu_mutex_unlock(&s->lock);
}

/* 32-bit accesses only; the memory core rejects other sizes and unaligned. */
static const MemoryRegionOps tnpu_mmio_ops = {
    .read = tnpu_mmio_read,
    .write = tnpu_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/*
 * ---- Worker ----
 */

static void *tnpu_worker(void *opaque)
{
    TnpuState *s = opaque;
    struct tnpu_cp_job job;

    rcu_register_thread();
    qemu_mutex_lock(&s->lock);
    while (!s->stopping) {
        memset(&job, 0, sizeof(job));
        if (!tnpu_cp_next(&s->cp, &job)) {
            qemu_cond_wait(&s->work_cond, &s->lock);
            continue;
        }
        s->in_execute = true;
        qemu_mutex_unlock(&s->lock);

        tnpu_cp_execute(&s->cp, &job);

        qemu_mutex_lock(&s->lock);
        tnpu_cp_finish(&s->cp, &job);
        s->in_execute = false;
        qemu_cond_broadcast(&s->idle_cond);
    }
    qemu_mutex_unlock(&s->lock);
    rcu_unregister_thread();
    return NULL;
}

/* Called with s->lock held: wait until no job is inside tnpu_cp_execute. */
static void tnpu_wait_idle_locked(TnpuState *s)
{
    while (s->in_execute) {
        qemu_cond_wait(&s->idle_cond, &s->lock);
    }
}

/*
 * ---- Lifecycle ----
 */

static void tnpu_use_vectors(PCIDevice *pdev)
{
    unsigned int v;

    for (v = 0; v < TNPU_NUM_VECTORS; v++) {
        msix_vector_use(pdev, v);
    }
}

static void tnpu_realize(PCIDevice *pdev, Error **errp)
{
    TnpuState *s = TNPU(pdev);
    int ret;

    pci_config_set_interrupt_pin(pdev->config, 0);  /* MSI-X only */

    memory_region_init_io(&s->regs, OBJECT(s), &tnpu_mmio_ops, s,
                          "tnpu-regs", TNPU_BAR_REGS_SIZE);
    pci_register_bar(pdev, TNPU_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->regs);

    ret = msix_init_exclusive_bar(pdev, TNPU_NUM_VECTORS, TNPU_BAR_MSIX,
                                  errp);
    if (ret) {
        error_prepend(errp, "tnpu: MSI-X: ");
        return;
    }
    tnpu_use_vectors(pdev);

    s->hal = (struct tnpu_hal) {
        .opaque = s,
        .dma_read = tnpu_hal_dma_read,
        .dma_write = tnpu_hal_dma_write,
        .raise_irq = tnpu_hal_raise_irq,
        .clock_ns = tnpu_hal_clock_ns,
        .log = tnpu_hal_log,
    };
    s->irq_pending = 0;
    s->irq_bh = qemu_bh_new_guarded(tnpu_irq_bh, s,
                                    &DEVICE(pdev)->mem_reentrancy_guard);

    qemu_mutex_init(&s->lock);
    qemu_cond_init(&s->work_cond);
    qemu_cond_init(&s->idle_cond);
    s->stopping = false;
    s->in_execute = false;
    tnpu_cp_init(&s->cp, &s->hal);

    qemu_thread_create(&s->worker, "tnpu-worker", tnpu_worker, s,
                       QEMU_THREAD_JOINABLE);
    s->worker_started = true;
}

static void tnpu_exit(PCIDevice *pdev)
{
    TnpuState *s = TNPU(pdev);

    if (s->worker_started) {
        qemu_mutex_lock(&s->lock);
        s->stopping = true;
        tnpu_cp_reset(&s->cp);      /* makes a running job abort early */
        qemu_cond_signal(&s->work_cond);
        qemu_mutex_unlock(&s->lock);
        qemu_thread_join(&s->worker);
        s->worker_started = false;

        qemu_cond_destroy(&s->idle_cond);
        qemu_cond_destroy(&s->work_cond);
        qemu_mutex_destroy(&s->lock);
    }
    if (s->irq_bh) {
        qemu_bh_delete(s->irq_bh);
        s->irq_bh = NULL;
    }
    msix_uninit_exclusive_bar(pdev);
}

/*
 * Bus/system reset.  The worker never needs the BQL, so waiting for it here
 * (BQL held) cannot deadlock; once it is out of execute, the aborted job's
 * completion has been discarded by tnpu_cp_finish.
 */
static void tnpu_reset(DeviceState *dev)
{
    TnpuState *s = TNPU(dev);
    PCIDevice *pdev = PCI_DEVICE(dev);

    qemu_mutex_lock(&s->lock);
    /*
     * Interrupts requested before the reset are stale.  The cp raises them
     * only with the lock held, so this drops exactly those.
     */
    qatomic_set(&s->irq_pending, 0);
    tnpu_cp_reset(&s->cp);
    qemu_cond_signal(&s->work_cond);
    tnpu_wait_idle_locked(s);
    qemu_mutex_unlock(&s->lock);

    /*
     * msix_reset() (run by the PCI core) keeps the use counts; drop and
     * re-declare them so they stay at exactly one per vector.
     */
    msix_unuse_all_vectors(pdev);
    tnpu_use_vectors(pdev);
}

/* The cp state and in-flight jobs are not serialised: refuse migration. */
static const VMStateDescription vmstate_tnpu = {
    .name = "tnpu",
    .unmigratable = 1,
};

static void tnpu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = tnpu_realize;
    k->exit = tnpu_exit;
    k->vendor_id = TNPU_PCI_VENDOR_ID;
    k->device_id = TNPU_PCI_DEVICE_ID;
    k->revision = TNPU_PCI_REVISION;
    k->class_id = TNPU_PCI_CLASS;
    dc->desc = "tnpu inference accelerator";
    dc->reset = tnpu_reset;
    dc->vmsd = &vmstate_tnpu;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo tnpu_info = {
    .name = TYPE_TNPU,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(TnpuState),
    .class_init = tnpu_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void tnpu_register_types(void)
{
    type_register_static(&tnpu_info);
}

type_init(tnpu_register_types)
