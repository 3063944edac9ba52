// SPDX-License-Identifier: GPL-2.0-only
/*
 * tnpu_drv.c - PCI probe/remove, the DRM driver, per-file state and
 * DRM_IOCTL_TNPU_GET_INFO.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "tnpu_drv.h"

char *tnpu_fw_name = "tnpu/tnpu-fw.bin";
module_param_named(fw_name, tnpu_fw_name, charp, 0444);
MODULE_PARM_DESC(fw_name, "firmware image to load (default tnpu/tnpu-fw.bin)");

unsigned int tnpu_boot_timeout_ms = 5000;
module_param_named(boot_timeout_ms, tnpu_boot_timeout_ms, uint, 0644);
MODULE_PARM_DESC(boot_timeout_ms, "firmware boot timeout in ms (default 5000)");

unsigned int tnpu_job_timeout_ms = 10000;
module_param_named(job_timeout_ms, tnpu_job_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_timeout_ms, "job hang timeout in ms before a device reset (default 10000)");

static int tnpu_open(struct drm_device *dev, struct drm_file *file)
{
	struct tnpu_device *tdev = to_tnpu(dev);
	struct tnpu_file *tfile;
	int ret, idx;

	if (!drm_dev_enter(dev, &idx))
		return -ENODEV;
	tfile = kzalloc(sizeof(*tfile), GFP_KERNEL);
	if (!tfile) {
		ret = -ENOMEM;
		goto out;
	}
	tfile->tdev = tdev;
	mutex_init(&tfile->lock);
	xa_init_flags(&tfile->status_xa, XA_FLAGS_ALLOC1);
	ret = tnpu_ctx_create(tdev, &tfile->ctx);
	if (ret) {
		if (ret == -EBUSY)
			drm_dbg(dev, "all MMU contexts in use\n");
		mutex_destroy(&tfile->lock);
		kfree(tfile);
		goto out;
	}
	file->driver_priv = tfile;
out:
	drm_dev_exit(idx);
	return ret;
}

static void tnpu_postclose(struct drm_device *dev, struct drm_file *file)
{
	struct tnpu_file *tfile = file->driver_priv;

	/* GEM handles are gone already; jobs keep their own references. */
	tnpu_file_jobs_fini(tfile);
	tnpu_ctx_put(tfile->ctx);
	mutex_destroy(&tfile->lock);
	kfree(tfile);
}

static int tnpu_ioctl_get_info(struct drm_device *dev, void *data, struct drm_file *file)
{
	struct tnpu_device *tdev = to_tnpu(dev);
	struct drm_tnpu_info *args = data;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(args->reserved); i++)
		if (args->reserved[i])
			return -EINVAL;

	memset(args, 0, sizeof(*args));
	args->abi_major = DRM_TNPU_ABI_MAJOR;
	args->abi_minor = DRM_TNPU_ABI_MINOR;
	args->hw_version = tdev->hw_version;
	args->caps = tdev->caps;
	args->fw_version = tdev->fw_version;
	args->fw_abi = tdev->fw_abi;
	args->fw_features = tdev->fw_features;
	args->num_queues = tdev->num_queues;
	args->num_cores = TNPU_HW_CFG_CORES(tdev->hw_cfg);
	for (i = 0; i < tdev->num_queues; i++)
		args->queue_priority[i] = min_t(u32, i, TNPU_NUM_PRIORITIES - 1);
	args->va_start = tdev->va_start;
	args->va_size = tdev->va_size;
	args->max_bo_size = DRM_TNPU_MAX_BO_SIZE;
	args->max_cmd_size = TNPU_CMD_MAX_SIZE;
	args->max_bos_per_job = DRM_TNPU_MAX_BOS_PER_JOB;
	args->reset_count = atomic_read(&tdev->reset_count);
	strscpy(args->fw_build, tdev->fw_build, sizeof(args->fw_build));
	return 0;
}

static const struct drm_ioctl_desc tnpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(TNPU_GET_INFO, tnpu_ioctl_get_info, 0),
	DRM_IOCTL_DEF_DRV(TNPU_BO_CREATE, tnpu_ioctl_bo_create, 0),
	DRM_IOCTL_DEF_DRV(TNPU_BO_INFO, tnpu_ioctl_bo_info, 0),
	DRM_IOCTL_DEF_DRV(TNPU_SUBMIT, tnpu_ioctl_submit, 0),
	DRM_IOCTL_DEF_DRV(TNPU_WAIT, tnpu_ioctl_wait, 0),
};

DEFINE_DRM_ACCEL_FOPS(tnpu_fops);

static const struct drm_driver tnpu_drm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_COMPUTE_ACCEL | DRIVER_SYNCOBJ,
	.open = tnpu_open,
	.postclose = tnpu_postclose,
	.gem_create_object = tnpu_gem_create_object,
	.ioctls = tnpu_ioctls,
	.num_ioctls = ARRAY_SIZE(tnpu_ioctls),
	.fops = &tnpu_fops,
	.name = "tnpu",
	.desc = "tnpu inference accelerator",
	.major = DRM_TNPU_ABI_MAJOR,
	.minor = DRM_TNPU_ABI_MINOR,
};

/* Final release of the DRM device: no file, BO or job is left. */
static void tnpu_drm_release(struct drm_device *drm, void *arg)
{
	struct tnpu_device *tdev = arg;

	tnpu_job_fini(tdev);
	ida_destroy(&tdev->ctx_ida);
}

static int tnpu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct tnpu_device *tdev;
	unsigned int i;
	int ret;

	if (tnpu_job_timeout_ms == 0)
		tnpu_job_timeout_ms = 10000;

	tdev = devm_drm_dev_alloc(&pdev->dev, &tnpu_drm_driver, struct tnpu_device, drm);
	if (IS_ERR(tdev))
		return PTR_ERR(tdev);
	pci_set_drvdata(pdev, tdev);
	tdev->pdev = pdev;
	ida_init(&tdev->ctx_ida);
	init_completion(&tdev->boot_done);
	init_waitqueue_head(&tdev->jobs_wq);
	ret = drmm_mutex_init(&tdev->drm, &tdev->reset_lock);
	if (ret)
		return ret;
	for (i = 0; i < TNPU_NUM_QUEUES; i++) {
		tdev->queue[i].tdev = tdev;
		tdev->queue[i].idx = i;
		spin_lock_init(&tdev->queue[i].lock);
		INIT_LIST_HEAD(&tdev->queue[i].inflight);
	}

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (ret) {
		dev_err(&pdev->dev, "no usable DMA mask\n");
		return ret;
	}
	if (pci_resource_len(pdev, TNPU_BAR_REGS) < TNPU_BAR_REGS_SIZE) {
		dev_err(&pdev->dev, "BAR%d is %llu bytes, need %u\n", TNPU_BAR_REGS,
			(u64)pci_resource_len(pdev, TNPU_BAR_REGS), TNPU_BAR_REGS_SIZE);
		return -ENODEV;
	}
	tdev->regs = pcim_iomap_region(pdev, TNPU_BAR_REGS, "tnpu");
	if (IS_ERR(tdev->regs))
		return PTR_ERR(tdev->regs);

	ret = tnpu_dev_init_hw(tdev);
	if (ret)
		return ret;
	ret = tnpu_dev_irq_init(tdev);
	if (ret)
		return ret;
	ret = tnpu_fw_load(tdev);
	if (ret)
		return ret;
	ret = tnpu_job_init(tdev);
	if (ret)
		return ret;
	ret = drmm_add_action_or_reset(&tdev->drm, tnpu_drm_release, tdev);
	if (ret)
		return ret;

	/* Start from a clean device, whatever a previous driver left. */
	ret = tnpu_dev_reset(tdev);
	if (!ret)
		ret = tnpu_dev_start(tdev);
	if (ret)
		goto err_shutdown;

	ret = drm_dev_register(&tdev->drm, 0);
	if (ret)
		goto err_shutdown;
	tnpu_debugfs_init(tdev);

	drm_info(&tdev->drm, "hw %u.%u, firmware %u.%u.%u (%s), %u queues\n",
		 tdev->hw_version >> 16, tdev->hw_version & 0xffff,
		 tdev->fw_version >> 16, (tdev->fw_version >> 8) & 0xff,
		 tdev->fw_version & 0xff, tdev->fw_build, tdev->num_queues);
	return 0;

err_shutdown:
	tnpu_dev_shutdown(tdev);
	return ret;
}

static void tnpu_remove(struct pci_dev *pdev)
{
	struct tnpu_device *tdev = pci_get_drvdata(pdev);

	tnpu_debugfs_fini(tdev);
	/* New ioctls fail with -ENODEV; running drm_dev_enter sections end. */
	drm_dev_unplug(&tdev->drm);
	tnpu_dev_shutdown(tdev);
	tnpu_job_unplug(tdev);
}

static const struct pci_device_id tnpu_pci_ids[] = {
	{ PCI_DEVICE(TNPU_PCI_VENDOR_ID, TNPU_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, tnpu_pci_ids);

static struct pci_driver tnpu_pci_driver = {
	.name = "tnpu",
	.id_table = tnpu_pci_ids,
	.probe = tnpu_probe,
	.remove = tnpu_remove,
};
module_pci_driver(tnpu_pci_driver);

MODULE_DESCRIPTION("tnpu inference accelerator DRM accel driver");
MODULE_LICENSE("GPL");
MODULE_FIRMWARE("tnpu/tnpu-fw.bin");
