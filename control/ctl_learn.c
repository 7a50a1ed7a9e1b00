/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_learn.c - being written. */
#include "ctl_learn.h"
