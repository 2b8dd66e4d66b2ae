/* Shared definitions for the scenario programs in testdata/scenarios/ (kernel-side differential scenarios). */
#ifndef TSBPF_SCENARIO_H
#define TSBPF_SCENARIO_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Newer than the uapi headers of Debian's libbpf 1.1 (6.1): the kernel's values. */
#ifndef BPF_F_TIMER_ABS
#define BPF_F_TIMER_ABS 1
#endif
#ifndef BPF_F_TIMER_CPU_PIN
#define BPF_F_TIMER_CPU_PIN 2
#endif

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME 7

#define EPERM 1
#define ENOENT 2
#define E2BIG 7
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define EDEADLK 35

#define MS 1000000ULL

typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;
typedef long long s64;

#endif
