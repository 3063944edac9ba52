// SPDX-License-Identifier: GPL-2.0-only
/*
 * tnpu_debugfs.c - debugfs files in the device's accel directory:
 * info, queues and force_reset.
 */
#include <linux/debugfs.h>
#include <linux/kstrtox.h>
#include <linux/seq_file.h>

#include <drm/drm_drv.h>

#include "tnpu_drv.h"

static int tnpu_info_show(struct seq_file *m, void *unused)
{
	struct tnpu_device *tdev = m->private;

	seq_printf(m, "hw_version: %u.%u\n", tdev->hw_version >> 16,
		   tdev->hw_version & 0xffff);
	seq_printf(m, "caps: 0x%08x\n", tdev->caps);
	seq_printf(m, "fw_version: %u.%u.%u\n", tdev->fw_version >> 16,
		   (tdev->fw_version >> 8) & 0xff, tdev->fw_version & 0xff);
	seq_printf(m, "fw_abi: %u.%u\n", tdev->fw_abi >> 16, tdev->fw_abi & 0xffff);
	seq_printf(m, "fw_features: 0x%08x\n", tdev->fw_features);
	seq_printf(m, "fw_build: %s\n", tdev->fw_build);
	seq_printf(m, "reset_count: %d\n", atomic_read(&tdev->reset_count));
	seq_printf(m, "wedged: %d\n", READ_ONCE(tdev->wedged));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tnpu_info);

static int tnpu_queues_show(struct seq_file *m, void *unused)
{
	struct tnpu_device *tdev = m->private;
	unsigned long flags;
	unsigned int i;
	int idx;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	for (i = 0; i < tdev->num_queues; i++) {
		struct tnpu_queue *q = &tdev->queue[i];
		u32 head, hw_tail, qst, hw_done;
		u64 seqno, completed;
		u32 tail;

		head = tnpu_rd(tdev, TNPU_QREG(i, TNPU_QREG_HEAD));
		hw_tail = tnpu_rd(tdev, TNPU_QREG(i, TNPU_QREG_TAIL));
		qst = tnpu_rd(tdev, TNPU_QREG(i, TNPU_QREG_STATUS));
		hw_done = tnpu_rd(tdev, TNPU_QREG(i, TNPU_QREG_COMPLETED));
		spin_lock_irqsave(&q->lock, flags);
		tail = q->tail;
		seqno = q->seqno;
		completed = q->completed;
		spin_unlock_irqrestore(&q->lock, flags);

		seq_printf(m, "queue %u: head %u tail %u (hw %u) seqno %llu completed %llu (hw %u) status 0x%x\n",
			   i, head, tail, hw_tail, seqno, completed, hw_done, qst);
	}
	drm_dev_exit(idx);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tnpu_queues);

static ssize_t tnpu_force_reset_write(struct file *file, const char __user *ubuf,
				      size_t len, loff_t *pos)
{
	struct tnpu_device *tdev = file->private_data;
	bool reset;
	int ret;

	ret = kstrtobool_from_user(ubuf, len, &reset);
	if (ret)
		return ret;
	if (reset)
		tnpu_reset_force(tdev);
	return len;
}

static const struct file_operations tnpu_force_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = tnpu_force_reset_write,
};

void tnpu_debugfs_init(struct tnpu_device *tdev)
{
	struct dentry *root = tdev->drm.debugfs_root;
	char name[16];

	if (IS_ERR_OR_NULL(root))
		return;
	debugfs_create_file("info", 0444, root, tdev, &tnpu_info_fops);
	debugfs_create_file("queues", 0444, root, tdev, &tnpu_queues_fops);
	debugfs_create_file("force_reset", 0200, root, tdev, &tnpu_force_reset_fops);

	/*
	 * The DRM core names the directory after the PCI device; add
	 * accel/<minor> -> accel/<device> so tools can find it by node.
	 */
	if (!tdev->drm.accel || !root->d_parent)
		return;
	snprintf(name, sizeof(name), "%d", tdev->drm.accel->index);
	tdev->debugfs_link = debugfs_create_symlink(name, root->d_parent,
						    tdev->drm.unique);
}

void tnpu_debugfs_fini(struct tnpu_device *tdev)
{
	debugfs_remove(tdev->debugfs_link);
	tdev->debugfs_link = NULL;
}
