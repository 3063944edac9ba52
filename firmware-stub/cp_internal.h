/* SPDX-License-Identifier: MIT */
/*
 * cp_internal.h - helpers shared by cp.c (registers, boot, reset) and
 * cp_job.c (arbitration, fetch, execute, finish).  Not part of the API.
 */
#ifndef TNPU_CP_INTERNAL_H
#define TNPU_CP_INTERNAL_H

#include "tnpu_cp.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the command processor copies little-endian device structs as-is"
#endif

/* Set @bits in INT_STATUS and send the MSI-X message of each unmasked bit. */
void tnpu_cp_raise(struct tnpu_cp *cp, uint32_t bits);

/* Finish the boot requested by CONTROL.BOOT (lock held). */
void tnpu_cp_do_boot(struct tnpu_cp *cp);

/* Complete a reset whose running job has now finished. */
void tnpu_cp_reset_done(struct tnpu_cp *cp);

#define cp_log(cp, ...)							\
	do {								\
		if ((cp)->hal->log)					\
			(cp)->hal->log((cp)->hal->opaque, __VA_ARGS__);	\
	} while (0)

#endif /* TNPU_CP_INTERNAL_H */
