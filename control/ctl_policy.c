/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_policy.c - being written. */
#include "ctl_policy.h"
