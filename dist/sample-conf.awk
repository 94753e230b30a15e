# Turn `actord -p` into the installed sample config (make install).
#
#   actord -p -c paths.conf | awk -v conf=PATH -f this paths.conf -
#
# The keys that paths.conf sets (the installed paths) stay active; every
# other key is commented out ("#key = default"), so that a later version's
# defaults apply to what the operator did not set.

FNR == NR {			# paths.conf: remember which keys it sets
	if ($0 ~ /^\[.*\]$/)
		section = $0
	else if ($0 ~ /^[a-z_]+ *=/) {
		k = $0
		sub(/ *=.*/, "", k)
		set[section " " k] = 1
	}
	next
}

FNR == 1 && /^# actord\.conf:/ {
	print "# " conf ": the configuration of actord(8); see actord.conf(5)."
	print "#"
	print "# Made by `actord -p` when actord was installed: every key with"
	print "# its documentation and built-in default.  \"#key = value\" lines"
	print "# are at their default: remove the \"#\" and edit to change one."
	print "# Check an edit with `actord -n -c " conf "`, apply it with"
	print "# `systemctl reload actord` or `actorctl reload` (which prints the"
	print "# errors of a config it refuses).  state_dir, run_dir, listen and"
	print "# the socket modes change only when actord restarts."
	next
}

/^\[.*\]$/ {
	section = $0
	print
	next
}

/^[a-z_]+ =/ {
	if ((section " " $1) in set)
		print
	else
		print "#" $0
	next
}

{ print }
