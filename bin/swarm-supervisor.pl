#!/usr/bin/perl
# swarm's agent supervisor, the light one: the same program as src/agent/supervisor.ts (protocol and
# reasons in src/agent/lifeline.ts), for machines with perl — a node process per agent costs ~60 ms of CPU
# at every start and ~40 MB while it waits, perl a few ms and ~5 MB. Run by the daemon as the leader of the
# agent's process group, with the agent as its only child:
#
#   perl swarm-supervisor.pl --grace=MS --kill-grace=MS -- COMMAND ARGS...      (fd 3: the lifeline)
#
# stdin, stdout and stderr pass straight to the agent. End of file on fd 3 (the daemon died) or no byte for
# `grace` ms (it is frozen): TERM to the whole group, KILL after `kill-grace` ms. While the daemon lives, a
# TERM to the group is the agent's to answer; the supervisor ends as the agent ended (exit code or signal).
# Only core modules that perl-base has (POSIX); fractional waits come from select().
use strict;
use warnings;
no warnings 'exec';
use POSIX ();

my %opt;
while (@ARGV && $ARGV[0] ne '--') {
  my $a = shift @ARGV;
  $opt{$1} = $2 if $a =~ /^--([a-z-]+)=(\d+)$/;
}
shift @ARGV;
if (!@ARGV || !$opt{grace} || !defined $opt{'kill-grace'}) {
  print STDERR "usage: swarm-supervisor.pl --grace=MS --kill-grace=MS -- COMMAND [ARGS...]\n";
  exit 2;
}
my ($grace, $kill_grace) = ($opt{grace} / 1000, $opt{'kill-grace'} / 1000);
open(my $line, '+<&=', 3) or die "swarm-supervisor: no lifeline on fd 3: $!\n";
binmode $line;

# The agent; a failed exec is told back through a close-on-exec pipe (perl sets FD_CLOEXEC above fd 2).
pipe(my $fail_r, my $fail_w) or die "swarm-supervisor: pipe: $!\n";
my $pid = fork();
if (!defined $pid) {
  report("fork failed: $!", '');
  exit 127;
}
if ($pid == 0) {
  close $fail_r;
  open(my $null, '<', '/dev/null') or POSIX::_exit(127);
  POSIX::dup2(fileno($null), 3); # the lifeline stays ours
  exec { $ARGV[0] } @ARGV;
  my $code = $!{ENOENT} ? 'ENOENT' : $!{EACCES} ? 'EACCES' : '';
  syswrite($fail_w, "$code\t$!");
  POSIX::_exit(127);
}
close $fail_w;
my $failed = do { local $/; <$fail_r> };
close $fail_r;
if (defined $failed && $failed ne '') {
  my ($code, $msg) = split /\t/, $failed, 2;
  note("could not start the agent: $msg");
  report("spawn $ARGV[0] $code", $code);
  waitpid($pid, 0);
  exit 127;
}

# Only now, in the supervisor alone (the agent keeps default dispositions): the group's TERM is the agent's
# to act on; a daemon that is gone must not take us down with SIGPIPE on its stderr.
$SIG{$_} = sub { } for qw(TERM INT HUP);
$SIG{CHLD} = sub { }; # wakes select() when the agent ends
$SIG{PIPE} = 'IGNORE';
my $group = getpgrp() == $$ ? $$ : 0;

my $silent = 0;       # seconds without a heartbeat (select() says how long it waited)
my $watching = 1;     # fd 3 is still open
my $stop_left;        # while stopping: seconds until KILL
while (1) {
  my $r = waitpid($pid, POSIX::WNOHANG());
  if ($r == $pid) {
    my $status = $?;
    if (defined $stop_left) {
      select(undef, undef, undef, 0.2); # whatever is left of the group (tool grandchildren) goes too
      signal_group('KILL');
      exit 137;
    }
    if ($status & 127) {
      my $sig = $status & 127;
      $SIG{$_} = 'DEFAULT' for qw(TERM INT HUP);
      kill $sig, $$;
      select(undef, undef, undef, 1);
      exit 128 + $sig; # a signal that does not end a process
    }
    exit($status >> 8);
  }
  my $wait = defined $stop_left ? $stop_left : $grace - $silent;
  $wait = 0.01 if $wait < 0.01;
  my $rin = '';
  vec($rin, 3, 1) = 1 if $watching;
  my ($n, $left) = select(my $rout = $rin, undef, undef, $wait);
  my $waited = defined $left && $left >= 0 && $left <= $wait ? $wait - $left : $wait;
  $n = 0 if $n < 0; # EINTR: the agent ended (SIGCHLD) or a signal we ignore
  if (defined $stop_left) {
    $stop_left -= $waited;
    if ($stop_left <= 0) {
      signal_group('KILL');
      exit 137;
    }
    next;
  }
  if ($n > 0) {
    my $got = sysread($line, my $buf, 4096);
    if ($got) {
      $silent = 0;
      next;
    }
    $watching = 0;
    stop('the daemon is gone (its end of the lifeline closed)');
    next;
  }
  $silent += $waited;
  stop(sprintf('no heartbeat from the daemon for %d ms (frozen?)', $silent * 1000)) if $silent >= $grace;
}

sub signal_group {
  my ($sig) = @_;
  if ($group) { kill $sig, -$group } else { kill $sig, $pid }
}

sub stop {
  my ($why) = @_;
  return if defined $stop_left;
  signal_group('TERM');
  $stop_left = $kill_grace;
  note("$why: stopping the agent's process group");
}

sub note {
  my ($text) = @_;
  syswrite(STDERR, "[swarm supervisor] $text\n");
}

sub report {
  my ($message, $code) = @_;
  $message =~ s/[\\"]/ /g;
  $message =~ s/[\x00-\x1f]/ /g;
  syswrite($line, qq({"spawn_error":"$message","code":) . ($code ? qq("$code") : 'null') . "}\n");
}
