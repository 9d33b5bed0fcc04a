/*
 * test_sim_faults.c - the faults aimed at one route: --fail-route values
 * name a route as /__sim/stats does, and exactly the chosen calls of that
 * route fail, with the status asked for; team refusals follow their
 * probability.
 */
#include <string.h>

#include "sim/sim_faults.h"
#include "tap.h"

#define QUEUE_POST "POST /api/v2/routing/queues/{queueId}/members"

int main(void)
{
	struct sim_route_fault rf[2];
	struct sim_faults f;
	char err[256];
	int got[6], yes = 0;

	ok(sim_route_fault_parse(QUEUE_POST ":2-3:502", &rf[0], err, sizeof err) == 0,
	   "ROUTE:N-M:STATUS reads");
	is_long(rf[0].route, SIM_R_QUEUE_MEMBERS_POST, "the route by its stats name");
	ok(rf[0].first == 2 && rf[0].last == 3 && rf[0].status == 502, "calls 2 to 3, 502");
	ok(sim_route_fault_parse("GET /api/v2/users:5", &rf[1], err, sizeof err) == 0 &&
	       rf[1].first == 5 && rf[1].last == 5 && rf[1].status == 503,
	   "ROUTE:N is one call, 503");
	ok(sim_route_fault_parse("GET /api/v2/nowhere:1", &rf[1], err, sizeof err) < 0 &&
	       strstr(err, "no API route"),
	   "an unknown route is refused");
	ok(sim_route_fault_parse(QUEUE_POST ":3-2", &rf[1], err, sizeof err) < 0,
	   "so is M before N");
	ok(sim_route_fault_parse(QUEUE_POST ":1:404", &rf[1], err, sizeof err) < 0,
	   "and a status that is not a 5xx");
	ok(sim_route_fault_parse(QUEUE_POST, &rf[1], err, sizeof err) < 0, "and no call number");

	sim_faults_init(&f, 1, 0, 0, 0, 0, 0, 0, 0);
	sim_faults_routes(&f, rf, 1);
	for (int i = 0; i < 5; i++)
		got[i] = sim_faults_route(&f, SIM_R_QUEUE_MEMBERS_POST);
	got[5] = sim_faults_route(&f, SIM_R_USERS);
	ok(got[0] == 0 && got[1] == 502 && got[2] == 502 && got[3] == 0 && got[4] == 0,
	   "calls 2 and 3 of the route fail, the others pass");
	is_long(got[5], 0, "other routes are not touched");
	for (int i = 0; i < 1000; i++)
		yes += sim_faults_chance(&f, 0.25);
	ok(yes > 180 && yes < 320, "a chance of 0.25 says yes about a quarter of the time");
	ok(!sim_faults_chance(&f, 0), "and never at 0");
	sim_faults_free(&f);
	return done_testing();
}
