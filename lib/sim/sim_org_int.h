/*
 * sim_org_int.h - what the two files of the simulated org share and no
 * one else needs: sim_org.c (storage, load, render, dump, reads) and
 * sim_org_write.c (the write routes). What the simulator sees is
 * sim_org.h.
 */
#ifndef GCU_SIM_ORG_INT_H
#define GCU_SIM_ORG_INT_H

#include "sim_org.h"

/* Sets res to the platform's 404 for user id. */
void sim_org_not_found(struct sim_result *res, const char *id);

/* The enum sim_user_state of a "state" value ("inactive", "deleted";
 * anything else, NULL included, is active). */
int sim_org_state_of(const char *s);

#endif
