/*
 * scs_shim: a flat, layout-stable C interface to SCS 3.x (convex-relu's own code, MIT OR Apache-2.0).
 *
 * SCS's own ScsSettings/ScsInfo structs change layout between 3.x releases, so Rust never
 * mirrors them: it mirrors only the three structs below, which contain nothing but `int`
 * and `double` fields (and pointers) and are copied field by field into SCS's structs here.
 *
 * Integers are C `int`: SCS is compiled without DLONG, so scs_int == int.
 */
#ifndef SCS_SHIM_H
#define SCS_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

/* Problem data: min 1/2 x'Px + c'x  s.t.  Ax + s = b, s in K (SCS's standard form).
 * A is m x n CSC; P is the upper triangle of an n x n CSC matrix, or absent (p_x == NULL).
 * Cones, in this row order: z zero rows, l nonnegative rows, second-order cones of the
 * sizes q[0..qsize), PSD cones of the orders s[0..ssize) (lower-triangle svec packing). */
typedef struct {
  int m;
  int n;
  const double *a_x;
  const int *a_i;
  const int *a_p;
  const double *p_x; /* NULL when P = 0 */
  const int *p_i;
  const int *p_p;
  const double *b;
  const double *c;
  int z;
  int l;
  const int *q;
  int qsize;
  const int *s;
  int ssize;
} ShimProblem;

/* The subset of SCS settings convex-relu sets; scs_shim_default_settings fills SCS's defaults. */
typedef struct {
  int max_iters;
  double eps_abs;
  double eps_rel;
  double eps_infeas;
  double time_limit_secs; /* 0 = none */
  int verbose;
  int normalize;
  int adaptive_scale;
  double scale;
  double alpha;
  double rho_x;
  int acceleration_lookback;
  int acceleration_interval;
} ShimSettings;

/* What a solve reports. status_val is SCS's exit flag (SCS_SOLVED = 1, ...), or
 * SCS_SHIM_INIT_FAILED when scs_init rejected the data or could not factorise. */
typedef struct {
  int status_val;
  int iter;
  int hit_max_iters;   /* 1 when the solve stopped at max_iters */
  int hit_time_limit;  /* 1 when the solve stopped at time_limit_secs */
  double pobj;
  double dobj;
  double res_pri;
  double res_dual;
  double gap;
  double res_infeas;
  double res_unbdd_a;
  double res_unbdd_p;
  double setup_time_ms;
  double solve_time_ms;
  double scale;
  double comp_slack;
  char status[128];
  char lin_sys_solver[128];
} ShimInfo;

#define SCS_SHIM_INIT_FAILED (-100)

/* SCS's default settings (verbose is forced to 0 here; SCS's own default is 1). */
void scs_shim_default_settings(ShimSettings *out);

/* Solves the problem; x (length n), y and s (length m) are caller-allocated outputs.
 * Returns info->status_val. Never allocates memory the caller must free. */
int scs_shim_solve(const ShimProblem *prob, const ShimSettings *stgs, double *x, double *y,
                   double *s, ShimInfo *info);

/* SCS's version string ("3.3.1"). */
const char *scs_shim_version(void);

/* sizeof(ShimProblem), sizeof(ShimSettings), sizeof(ShimInfo): the Rust side checks its mirrors. */
void scs_shim_struct_sizes(int *problem, int *settings, int *info);

#ifdef __cplusplus
}
#endif
#endif
