/*
 * LD_PRELOAD shim for the differential test: when `kamailio -c` exits, prints the timers that Kamailio's
 * rtimer module built from the configuration (its own list, `_stm_list`), one line per timer and one per
 * route, to the file named by RTIMER_DUMP. The structures below are rtimer_mod.c's of Kamailio 5.x
 * (stm_timer_t, stm_route_t with its 64-byte route name buffer).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct { char *s; int len; } kstr;
typedef struct stm_route { kstr timer; unsigned int route; char route_name_buf[64]; kstr route_name; struct stm_route *next; } stm_route_t;
typedef struct stm_timer { kstr name; unsigned int mode, flags, interval; stm_route_t *rt; struct stm_timer *next; } stm_timer_t;

__attribute__((destructor)) static void rtimer_dump(void) {
  const char *out = getenv("RTIMER_DUMP");
  const char *so = getenv("RTIMER_SO");
  if (!out || !so) return;
  FILE *f = fopen(out, "w");
  if (!f) return;
  void *h = dlopen(so, RTLD_NOW | RTLD_NOLOAD);
  stm_timer_t **list = h ? (stm_timer_t **)dlsym(h, "_stm_list") : NULL;
  if (!h) fprintf(f, "not-loaded\n");
  else if (!list) fprintf(f, "no-symbol\n");
  else {
    /* Both lists are built by prepending: newest first. */
    for (stm_timer_t *t = *list; t; t = t->next) {
      fprintf(f, "T\t%u\t%u\t%u\t%.*s\n", t->mode, t->flags, t->interval, t->name.len, t->name.s);
      for (stm_route_t *r = t->rt; r; r = r->next) fprintf(f, "R\t%s\n", r->route_name_buf);
    }
  }
  fclose(f);
}
