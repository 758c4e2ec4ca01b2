/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `kexecq check`'s report (risk.h), as text or JSON. */
#pragma once

#include <stdio.h>

#include "risk.h"

int check_print_text(const struct risk_report *rep, const struct inventory *inv,
		     const struct plan *plan, const struct driver_table *table, FILE *f);
int check_write_json(const struct risk_report *rep, const struct inventory *inv,
		     const struct plan *plan, const struct driver_table *table, FILE *f);
