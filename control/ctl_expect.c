/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_expect.c - being written. */
#include "ctl_expect.h"
