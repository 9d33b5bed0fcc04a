# runbook.mk - a migration with gcu, one step per target.
#
# Copy this file next to your change file, set the variables below, then
# run the steps in order, for example on the day:
#
#   make -f runbook.mk plan          # what will be sent, how long it takes
#   make -f runbook.mk non-routing   # names, emails, titles, phones, ...
#   make -f runbook.mk wait          # the gap, while the platform propagates
#   make -f runbook.mk routing       # skills, languages, routing status
#   make -f runbook.mk verify        # read every user again, compare
#   make -f runbook.mk report        # RUN/report.txt and RUN/timeline.svg
#
# and, should the migration have to be taken back:
#
#   make -f runbook.mk rollback      # RUN/undo.ndjson into RUN-rollback
#
# The rollback restores the values every step replaced, with the same
# config, pacing and gap, and leaves alone (reported as conflicts) the
# fields that someone else changed after the run. Its own undo.ndjson
# redoes the run: make -f runbook.mk rollback RUN=runs/migration-rollback.
#
# The change file may name users by email, username or employee ID and
# skills, languages and managers by name, as an HR export does: every step
# resolves them to ids first (gcu-resolve), reading only what it needs of
# the org's directory, and keeps what it read in RUN/directory.ndjson.
#
# Every step can be interrupted (Ctrl-C, a lost terminal, even kill -9) and
# run again: it continues where it stopped and never sends a finished
# request twice; while what is left of the interrupted step still drains,
# a step refuses to start ("RUN is in use by another run", exit 75).
# Rehearse first against gcu-sim loaded with a copy of the production users:
#
#   make -f runbook.mk export        # read the users the changes touch
#   make -f runbook.mk rehearse      # the whole run against that copy
#
# Credentials come from the environment (GCU_CLIENT_ID, GCU_CLIENT_SECRET,
# GCU_REGION) or from CONFIG (chmod 600); never put them in this file.

# The change file (CSV or NDJSON).
CHANGES = changes.csv
# The run folder: every stage's output, the state, the logs, the report.
RUN = runs/migration
# A gcu.yaml of your own (chmod 600 if it holds the secret), or empty.
CONFIG =
# Seconds between the scopes; empty for schedule.gap (900, 15 minutes).
GAP =
# The copy of the production users the rehearsal runs against, and of
# what of the directory the change file needs.
EXPORT = $(RUN)-export.ndjson
DIRECTORY = $(RUN)-directory.ndjson
# The programs, as installed by make install.
GCU_RUN = gcu-run
GCU_REPORT = gcu-report

opts = $(if $(strip $(CONFIG)),-c $(strip $(CONFIG))) $(if $(strip $(GAP)),--gap $(strip $(GAP)))

.PHONY: plan non-routing wait routing verify report all export rehearse rollback

plan:
	$(GCU_RUN) --plan $(opts) --run-dir $(RUN) $(CHANGES)

non-routing:
	$(GCU_RUN) --scope non-routing --no-report $(opts) --run-dir $(RUN) $(CHANGES)

wait:
	$(GCU_RUN) --wait-gap $(opts) --run-dir $(RUN)

routing:
	$(GCU_RUN) --scope routing --no-report $(opts) --run-dir $(RUN) $(CHANGES)

verify:
	$(GCU_RUN) --verify $(opts) --run-dir $(RUN)

report:
	$(GCU_REPORT) $(RUN)

rollback:
	$(GCU_RUN) --undo $(RUN) $(opts) --run-dir $(RUN)-rollback

all: plan non-routing wait routing report

cfg = $(if $(strip $(CONFIG)),-c $(strip $(CONFIG)))

export:
	mkdir -p $(dir $(EXPORT)) $(dir $(DIRECTORY))
	gcu-resolve $(cfg) --capture-directory $(DIRECTORY) $(CHANGES) | gcu-partition $(cfg) >$(EXPORT).changes && gcu-fetch $(cfg) --capture $(EXPORT) $(EXPORT).changes >/dev/null

rehearse:
	$(GCU_RUN) --sim-org $(EXPORT) --directory $(DIRECTORY) $(opts) --run-dir $(RUN)-rehearsal $(CHANGES)
