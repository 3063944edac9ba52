/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * tnpu_accel.h - userspace ABI of the tnpu DRM accel driver.
 *
 * The device node is /dev/accel/accelN; DRM_IOCTL_VERSION reports the driver
 * name "tnpu".  Each open file gets its own device MMU context (device
 * address space); a device has 63, and open() fails with EBUSY while all are
 * in use.  A context is released only when its file and every buffer (also
 * one still mmap()ed after close) and job of that file are gone.
 * Conventions for every ioctl below:
 *
 * - Fields marked "in" are read, "out" are written, "in/out" both.
 * - Every flags field rejects unknown bits with -EINVAL, and every pad or
 *   reserved field marked "in" must be zero (-EINVAL otherwise), so they can
 *   gain meaning later without breaking old binaries.
 * - Structs only grow at the end; the DRM core zero-extends an older,
 *   shorter struct, and zero always means "old behaviour".
 * - Pointers to arrays are passed as __u64 (u64_to_user_ptr()); a count of
 *   zero means the pointer is ignored.  A bad pointer gives -EFAULT.
 * - An unknown or closed GEM handle gives -ENOENT, and so does the handle of
 *   a buffer this file did not create with DRM_IOCTL_TNPU_BO_CREATE (e.g. a
 *   PRIME import): it is not mapped in this file's address space.
 * - Every ioctl gives -ENODEV once the device has been unplugged.
 */
#ifndef _UAPI_TNPU_ACCEL_H_
#define _UAPI_TNPU_ACCEL_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* Version of this ABI, reported by DRM_IOCTL_TNPU_GET_INFO. */
#define DRM_TNPU_ABI_MAJOR		1	/* incompatible changes */
#define DRM_TNPU_ABI_MINOR		0	/* additions */

#define DRM_TNPU_GET_INFO		0x00
#define DRM_TNPU_BO_CREATE		0x01
#define DRM_TNPU_BO_INFO		0x02
#define DRM_TNPU_SUBMIT			0x03
#define DRM_TNPU_WAIT			0x04

/*
 * Limits enforced by the driver.  GET_INFO also reports the first two
 * (max_bo_size, max_bos_per_job).
 */
#define DRM_TNPU_MAX_BO_SIZE		(256ull << 20)	/* bytes per buffer */
#define DRM_TNPU_MAX_BOS_PER_JOB	256
#define DRM_TNPU_MAX_SYNCOBJS		64		/* in-syncobjs per job */
#define DRM_TNPU_MAX_PENDING_STATUS	4096		/* unreaped status jobs per file */

/**
 * struct drm_tnpu_info - DRM_IOCTL_TNPU_GET_INFO: describe the device.
 *
 * All fields are out, except @reserved which must be zero on input.
 */
struct drm_tnpu_info {
	/** @abi_major: DRM_TNPU_ABI_MAJOR of the driver. */
	__u32 abi_major;
	/** @abi_minor: DRM_TNPU_ABI_MINOR of the driver. */
	__u32 abi_minor;
	/** @hw_version: TNPU_REG_HW_VERSION (major << 16 | minor). */
	__u32 hw_version;
	/** @caps: TNPU_CAP_* bits of the hardware. */
	__u32 caps;
	/** @fw_version: version of the booted firmware (major << 16 | minor << 8 | patch). */
	__u32 fw_version;
	/** @fw_abi: firmware ABI (major << 16 | minor). */
	__u32 fw_abi;
	/** @fw_features: TNPU_FW_FEAT_* bits of the booted firmware. */
	__u32 fw_features;
	/** @num_queues: hardware queues; valid DRM_TNPU_SUBMIT queue indices are below it. */
	__u32 num_queues;
	/** @num_cores: compute cores. */
	__u32 num_cores;
	/**
	 * @queue_priority: device priority of queue i (0 lowest), for
	 * i < @num_queues; zero beyond.  The device runs one job at a time and
	 * always picks from the highest-priority queue that has work.
	 */
	__u8 queue_priority[8];
	/** @pad: zero. */
	__u32 pad;
	/** @va_start: first device virtual address buffers are mapped at. */
	__u64 va_start;
	/** @va_size: size of the per-file device address space. */
	__u64 va_size;
	/** @max_bo_size: largest DRM_TNPU_BO_CREATE size. */
	__u64 max_bo_size;
	/** @max_cmd_size: largest command stream, bytes. */
	__u32 max_cmd_size;
	/** @max_bos_per_job: largest DRM_TNPU_SUBMIT bo_count. */
	__u32 max_bos_per_job;
	/**
	 * @reset_count: recoveries since the driver bound: device resets after
	 * a job timeout or a debugfs force_reset (the reset at probe is not
	 * counted).
	 */
	__u32 reset_count;
	/** @fw_build: NUL-terminated build tag of the booted firmware. */
	char fw_build[32];
	/** @reserved: in: must be zero. out: zero. */
	__u32 reserved[7];
};

/* Buffer flags */
/* The device may only read the buffer (command streams, weights); CPU
 * mappings stay writable.  A device write to it faults the job. */
#define DRM_TNPU_BO_DEVICE_RO		(1u << 0)
#define DRM_TNPU_BO_FLAGS_ALL		DRM_TNPU_BO_DEVICE_RO

/**
 * struct drm_tnpu_bo_create - DRM_IOCTL_TNPU_BO_CREATE: allocate a buffer.
 *
 * The buffer is zeroed, backed by pinned system memory, and mapped into the
 * file's device address space for its whole life (until the last reference,
 * handle or job, is gone), followed by one unmapped guard page so that an
 * overrun faults.  CPU access is by mmap() of the accel node at
 * @mmap_offset, from this file only.
 *
 * Errors: -EINVAL for a size of 0 or above DRM_TNPU_MAX_BO_SIZE (checked
 * before rounding), unknown flags or non-zero reserved fields; -ENOSPC when
 * the address space is full; -ENOMEM.
 */
struct drm_tnpu_bo_create {
	/** @size: in: bytes, rounded up to 4 KiB. out: the rounded size. */
	__u64 size;
	/** @flags: in: DRM_TNPU_BO_*. */
	__u32 flags;
	/** @handle: out: GEM handle. */
	__u32 handle;
	/** @device_addr: out: device virtual address of the first byte. */
	__u64 device_addr;
	/** @mmap_offset: out: offset to pass to mmap(). */
	__u64 mmap_offset;
	/** @reserved: in: must be zero. */
	__u64 reserved[2];
};

/**
 * struct drm_tnpu_bo_info - DRM_IOCTL_TNPU_BO_INFO: look up a buffer.
 *
 * Errors: -ENOENT for a handle that is unknown or not this file's buffer
 * (see above); -EINVAL for non-zero reserved fields.
 */
struct drm_tnpu_bo_info {
	/** @handle: in: GEM handle. */
	__u32 handle;
	/** @flags: out: DRM_TNPU_BO_* it was created with. */
	__u32 flags;
	/** @size: out: bytes. */
	__u64 size;
	/** @device_addr: out: device virtual address. */
	__u64 device_addr;
	/** @mmap_offset: out: offset to pass to mmap(). */
	__u64 mmap_offset;
	/** @reserved: in: must be zero. */
	__u64 reserved[2];
};

/* Submit flags */
/*
 * Keep the job's result for DRM_IOCTL_TNPU_WAIT; @job_id is valid only with
 * this flag.  A file may hold DRM_TNPU_MAX_PENDING_STATUS such jobs that
 * have not been reaped by a successful WAIT (-ENOSPC beyond); results never
 * reaped are freed when the file is closed.
 */
#define DRM_TNPU_SUBMIT_STATUS		(1u << 0)
#define DRM_TNPU_SUBMIT_FLAGS_ALL	DRM_TNPU_SUBMIT_STATUS

/**
 * struct drm_tnpu_submit - DRM_IOCTL_TNPU_SUBMIT: queue one job.
 *
 * The job runs the command stream at @cmd_offset of buffer @cmd_handle on
 * hardware queue @queue, after every fence in @in_syncobjs has signalled (a
 * dependency that signalled with an error does not cancel the job).  Every
 * buffer the commands touch must be listed in @bo_handles (the command
 * buffer is added implicitly; duplicates are allowed): the listed buffers
 * stay alive until the job ends.  A buffer a job touches without listing it
 * is never pulled from under the device either: if it is freed while any job
 * of the file may still run, its pages stay mapped until the device is done
 * with all of them, then it is unmapped and freed.  Addresses in the command
 * stream are device virtual addresses of this file; any other address faults
 * the job, never another file.  Jobs of one file on one queue run in submission order.
 *
 * On success, @out_syncobj (if non-zero) is replaced by the job's fence,
 * which signals when the job ends.  The fence has an error when the job
 * failed: -EIO for an invalid command or argument, -EFAULT for an MMU fault
 * or a DMA error, -ETIMEDOUT for the hung job of a recovery, -ECANCELED for
 * a job aborted by a recovery or submitted to a device whose recovery
 * failed, -ENODEV when the device was unplugged, -ESRCH when the job was
 * cancelled by the close of its file (see below).
 *
 * Closing the file waits, killably, until its queued jobs have been handed
 * to the device; jobs on the device finish normally and keep their buffers
 * alive.  If the closing process is exiting (at most 1 s wait) or is killed
 * during the wait, the jobs still queued are cancelled (-ESRCH).
 *
 * Recovery: if the device completes no job at all during job_timeout_ms
 * (module parameter, default 10000) while it has jobs, the driver resets
 * the device (a hang is detected within 1.25 such periods, however many
 * jobs are queued behind it).  The job the device was executing (or, if it had fetched none,
 * the timed-out job) ends with DRM_TNPU_JOB_TIMEOUT; every other job
 * already handed to the device, of any file, ends with
 * DRM_TNPU_JOB_ABORTED; jobs not yet handed to the device (waiting for
 * dependencies or ring space) run normally afterwards.  Buffers and
 * addresses are unaffected, and drm_tnpu_info.reset_count increments.  A
 * debugfs force_reset does the same, with every job on the device ending
 * DRM_TNPU_JOB_ABORTED.  If
 * the device cannot be restarted, every later job fails with -ECANCELED
 * until a later recovery succeeds or the driver is reloaded.
 *
 * Errors: -EINVAL for a bad @queue, unknown flags, non-zero pad or
 * reserved, a @cmd_offset not 8-byte aligned, @cmd_size of 0, not a
 * multiple of 8, above TNPU_CMD_MAX_SIZE or beyond the buffer, counts above
 * the limits, or an in-syncobj that has no fence; -ENOENT for an unknown or
 * foreign buffer handle or an unknown in or out syncobj handle; -EFAULT
 * for a bad pointer; -ENOSPC (see DRM_TNPU_SUBMIT_STATUS); -ENOMEM; -ENODEV
 * after unplug.  A rejected submit leaves @out_syncobj unchanged.
 */
struct drm_tnpu_submit {
	/** @bo_handles: in: pointer to an array of __u32 GEM handles. */
	__u64 bo_handles;
	/** @in_syncobjs: in: pointer to an array of __u32 syncobj handles. */
	__u64 in_syncobjs;
	/** @bo_count: in: entries in @bo_handles, at most DRM_TNPU_MAX_BOS_PER_JOB. */
	__u32 bo_count;
	/** @in_syncobj_count: in: entries in @in_syncobjs, at most DRM_TNPU_MAX_SYNCOBJS. */
	__u32 in_syncobj_count;
	/** @cmd_handle: in: GEM handle of the buffer holding the command stream. */
	__u32 cmd_handle;
	/** @cmd_size: in: bytes of the command stream. */
	__u32 cmd_size;
	/** @cmd_offset: in: byte offset of the command stream in @cmd_handle. */
	__u64 cmd_offset;
	/** @queue: in: hardware queue index, below drm_tnpu_info.num_queues. */
	__u32 queue;
	/** @flags: in: DRM_TNPU_SUBMIT_*. */
	__u32 flags;
	/** @out_syncobj: in: syncobj handle to receive the job's fence, or 0. */
	__u32 out_syncobj;
	/** @pad: in: must be zero. */
	__u32 pad;
	/**
	 * @job_id: out: with DRM_TNPU_SUBMIT_STATUS, the id to pass to
	 * DRM_TNPU_WAIT (non-zero, per file); not written without the flag.
	 */
	__u64 job_id;
	/** @reserved: in: must be zero. */
	__u64 reserved[2];
};

/* Job results reported by DRM_IOCTL_TNPU_WAIT */
#define DRM_TNPU_JOB_OK			0	/* completed successfully */
#define DRM_TNPU_JOB_INVALID		1	/* rejected by the device: bad command or argument */
#define DRM_TNPU_JOB_FAULT		2	/* device MMU fault or DMA error (see hw_status) */
#define DRM_TNPU_JOB_TIMEOUT		3	/* did not finish in time; device was reset */
#define DRM_TNPU_JOB_ABORTED		4	/* cancelled: reset, failed recovery, unplug, kill */

/**
 * struct drm_tnpu_wait - DRM_IOCTL_TNPU_WAIT: wait for a job, reap its result.
 *
 * Waits until the job submitted with DRM_TNPU_SUBMIT_STATUS and id @job_id
 * ends or @timeout_ns passes.  On success the result is in @status and the
 * id is released (a second wait gives -ENOENT).  On -ETIME the job is still
 * running and may be waited for again.  The wait is interruptible: a signal
 * gives -EINTR (or a restart), and the id stays valid.
 *
 * Errors: -EINVAL for a negative @timeout_ns or non-zero pad/reserved (the
 * job is not reaped); -ENOENT for an id that is unknown, already reaped or
 * another file's (when several WAITs race for one id, one reaps it and the
 * others get -ENOENT); -ETIME.
 */
struct drm_tnpu_wait {
	/** @job_id: in: from drm_tnpu_submit.job_id. */
	__u64 job_id;
	/**
	 * @timeout_ns: in: relative timeout, rounded up to at least one jiffy;
	 * 0 only polls.
	 */
	__s64 timeout_ns;
	/** @status: out: DRM_TNPU_JOB_*. */
	__u32 status;
	/**
	 * @hw_status: out: the device's enum tnpu_job_status; TNPU_JOB_ABORTED
	 * for a job that ended without a device result (timeout, recovery,
	 * unplug, kill).
	 */
	__u32 hw_status;
	/**
	 * @err_offset: out: byte offset in the command stream of the failing
	 * command; 0 on success or when no command is to blame.
	 */
	__u32 err_offset;
	/** @pad: in: must be zero. */
	__u32 pad;
	/** @duration_ns: out: device execution time; 0 without a device result. */
	__u64 duration_ns;
	/**
	 * @fault_addr: out: with an MMU fault (hw_status TNPU_JOB_MMU_FAULT),
	 * this job's own faulting device address (the start of the failing
	 * transfer or page), also when other jobs faulted at the same time;
	 * 0 otherwise (including a DMA error).
	 */
	__u64 fault_addr;
	/** @reserved: in: must be zero. */
	__u64 reserved[2];
};

#define DRM_IOCTL_TNPU_GET_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TNPU_GET_INFO, struct drm_tnpu_info)
#define DRM_IOCTL_TNPU_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TNPU_BO_CREATE, struct drm_tnpu_bo_create)
#define DRM_IOCTL_TNPU_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TNPU_BO_INFO, struct drm_tnpu_bo_info)
#define DRM_IOCTL_TNPU_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TNPU_SUBMIT, struct drm_tnpu_submit)
#define DRM_IOCTL_TNPU_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TNPU_WAIT, struct drm_tnpu_wait)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_TNPU_ACCEL_H_ */
