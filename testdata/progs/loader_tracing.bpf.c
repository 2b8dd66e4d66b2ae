// Loader fixture: BTF-attached and sleepable program types (fentry, fexit, fmod_ret, tp_btf, lsm,
// iter, sleepable variants), kfunc and ksym externs, and CO-RE field accesses. Loading these
// needs attach targets in the kernel's BTF, so the kernel comparison checks libbpf's open view.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_like {
	int pid;
	int tgid;
	char comm[16];
} __attribute__((preserve_access_index));

SEC("fentry/do_nanosleep")
int fentry_sleep(__u64 *ctx)
{
	return 0;
}

SEC("fexit/do_nanosleep")
int fexit_sleep(__u64 *ctx)
{
	return 0;
}

SEC("fentry.s/do_nanosleep")
int fentry_sleepable(__u64 *ctx)
{
	return 0;
}

SEC("fmod_ret/security_file_open")
int modret(__u64 *ctx)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int btf_tp(__u64 *ctx)
{
	return 0;
}

SEC("lsm.s/file_open")
int lsm_open(__u64 *ctx)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int raw_enter(struct task_like *t)
{
	return BPF_CORE_READ(t, tgid) + bpf_core_field_size(t->comm) + bpf_core_type_exists(struct task_like);
}

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym __weak;
extern const int bpf_prog_active __ksym;

// kfunc calls and a typed ksym: references the runtime resolves (or refuses) at load.
SEC("tp_btf/sys_enter")
int kfuncs(__u64 *ctx)
{
	bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	return *(volatile const int *)&bpf_prog_active;
}

SEC("uprobe.s")
int usleep(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
