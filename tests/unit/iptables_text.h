/* SPDX-License-Identifier: MIT */
/*
 * For the tests: a rule of mesh/view/iptables.h as the iptables command that
 * adds it, the form the expectations are written in: 'iptables -t nat -I
 * POSTROUTING 1 -s 10.2.1.0/24 -m comment --comment "Kilo: jump to KILO-NAT
 * chain" -j KILO-NAT' (ip6tables for IPv6; -N for a chain; -A for an
 * appended rule).
 */
#ifndef TESTS_IPTABLES_TEXT_H
#define TESTS_IPTABLES_TEXT_H

#include <stdbool.h>

#include "mesh/view/iptables.h"

#define IPTABLES_TEXT_STRLEN 256

char *iptables_text(const struct mesh_iptables_rule *rule, bool prepend,
                    char buf[IPTABLES_TEXT_STRLEN]);

#endif /* TESTS_IPTABLES_TEXT_H */
