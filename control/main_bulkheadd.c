/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * main_bulkheadd.c - the inline daemon. The NFQUEUE source, rule installation
 * and the control socket arrive with their issues; until then the daemon
 * refuses to start rather than pretend to enforce anything.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("bulkheadd %s\n", BULKHEAD_VERSION);
		return 0;
	}
	fputs("bulkheadd: inline enforcement (NFQUEUE) is not implemented in this version;\n"
	      "           use `bulkhead replay` to run the engine over capture files\n",
	      stderr);
	return 2;
}
