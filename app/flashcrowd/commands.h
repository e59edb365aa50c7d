/* SPDX-License-Identifier: BSD-3-Clause */
/* Subcommands: each takes argv from its own name on and returns the process exit code. */
#ifndef FC_APP_COMMANDS_H
#define FC_APP_COMMANDS_H

int fc_cmd_up(int argc, char **argv);
int fc_cmd_run(int argc, char **argv);
int fc_cmd_validate(int argc, char **argv);
int fc_cmd_serve(int argc, char **argv);
int fc_cmd_xfer(int argc, char **argv);
int fc_cmd_replay(int argc, char **argv);
int fc_cmd_merge(int argc, char **argv);
int fc_cmd_compare(int argc, char **argv);

#endif
