/* scs_shim: see scs_shim.h. convex-relu's own code (MIT OR Apache-2.0), not part of SCS. */
#include "scs_shim.h"

#include <string.h>

#include "scs.h"

void scs_shim_default_settings(ShimSettings *out) {
  ScsSettings d;
  memset(&d, 0, sizeof(d));
  scs_set_default_settings(&d);
  out->max_iters = (int)d.max_iters;
  out->eps_abs = d.eps_abs;
  out->eps_rel = d.eps_rel;
  out->eps_infeas = d.eps_infeas;
  out->time_limit_secs = d.time_limit_secs;
  out->verbose = 0;
  out->normalize = (int)d.normalize;
  out->adaptive_scale = (int)d.adaptive_scale;
  out->scale = d.scale;
  out->alpha = d.alpha;
  out->rho_x = d.rho_x;
  out->acceleration_lookback = (int)d.acceleration_lookback;
  out->acceleration_interval = (int)d.acceleration_interval;
}

int scs_shim_solve(const ShimProblem *prob, const ShimSettings *stgs, double *x, double *y,
                   double *s, ShimInfo *info) {
  ScsMatrix a, p;
  ScsData data;
  ScsCone cone;
  ScsSettings settings;
  ScsSolution sol;
  ScsInfo scs_info;
  ScsWork *work;
  int status;

  memset(info, 0, sizeof(*info));
  memset(&a, 0, sizeof(a));
  memset(&p, 0, sizeof(p));
  memset(&data, 0, sizeof(data));
  memset(&cone, 0, sizeof(cone));
  memset(&settings, 0, sizeof(settings));
  memset(&sol, 0, sizeof(sol));
  memset(&scs_info, 0, sizeof(scs_info));

  /* SCS takes non-const pointers but deep-copies the data in scs_init and never writes to it. */
  a.x = (scs_float *)prob->a_x;
  a.i = (scs_int *)prob->a_i;
  a.p = (scs_int *)prob->a_p;
  a.m = prob->m;
  a.n = prob->n;
  data.m = prob->m;
  data.n = prob->n;
  data.A = &a;
  if (prob->p_x) {
    p.x = (scs_float *)prob->p_x;
    p.i = (scs_int *)prob->p_i;
    p.p = (scs_int *)prob->p_p;
    p.m = prob->n;
    p.n = prob->n;
    data.P = &p;
  } else {
    data.P = SCS_NULL;
  }
  data.b = (scs_float *)prob->b;
  data.c = (scs_float *)prob->c;

  cone.z = prob->z;
  cone.l = prob->l;
  cone.q = prob->qsize > 0 ? (scs_int *)prob->q : SCS_NULL;
  cone.qsize = prob->qsize;
  cone.s = prob->ssize > 0 ? (scs_int *)prob->s : SCS_NULL;
  cone.ssize = prob->ssize;

  scs_set_default_settings(&settings);
  settings.max_iters = stgs->max_iters;
  settings.eps_abs = stgs->eps_abs;
  settings.eps_rel = stgs->eps_rel;
  settings.eps_infeas = stgs->eps_infeas;
  settings.time_limit_secs = stgs->time_limit_secs;
  settings.verbose = stgs->verbose;
  settings.normalize = stgs->normalize;
  settings.adaptive_scale = stgs->adaptive_scale;
  settings.scale = stgs->scale;
  settings.alpha = stgs->alpha;
  settings.rho_x = stgs->rho_x;
  settings.acceleration_lookback = stgs->acceleration_lookback;
  settings.acceleration_interval = stgs->acceleration_interval;
  settings.warm_start = 0;

  sol.x = x;
  sol.y = y;
  sol.s = s;

  work = scs_init(&data, &cone, &settings);
  if (!work) {
    info->status_val = SCS_SHIM_INIT_FAILED;
    info->iter = 0;
    strncpy(info->status, "scs_init failed (invalid data or factorisation failure)",
            sizeof(info->status) - 1);
    return SCS_SHIM_INIT_FAILED;
  }
  status = (int)scs_solve(work, &sol, &scs_info, 0);
  scs_finish(work);

  info->status_val = status;
  info->iter = (int)scs_info.iter;
  info->hit_time_limit = strstr(scs_info.status, "time_limit_secs") != NULL;
  info->hit_max_iters = !info->hit_time_limit && scs_info.iter >= settings.max_iters;
  info->pobj = scs_info.pobj;
  info->dobj = scs_info.dobj;
  info->res_pri = scs_info.res_pri;
  info->res_dual = scs_info.res_dual;
  info->gap = scs_info.gap;
  info->res_infeas = scs_info.res_infeas;
  info->res_unbdd_a = scs_info.res_unbdd_a;
  info->res_unbdd_p = scs_info.res_unbdd_p;
  info->setup_time_ms = scs_info.setup_time;
  info->solve_time_ms = scs_info.solve_time;
  info->scale = scs_info.scale;
  info->comp_slack = scs_info.comp_slack;
  strncpy(info->status, scs_info.status, sizeof(info->status) - 1);
  strncpy(info->lin_sys_solver, scs_info.lin_sys_solver, sizeof(info->lin_sys_solver) - 1);
  return status;
}

const char *scs_shim_version(void) { return scs_version(); }

void scs_shim_struct_sizes(int *problem, int *settings, int *info) {
  *problem = (int)sizeof(ShimProblem);
  *settings = (int)sizeof(ShimSettings);
  *info = (int)sizeof(ShimInfo);
}
