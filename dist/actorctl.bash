# bash completion for actorctl(8), installed as
# $(datadir)/bash-completion/completions/actorctl.
#
# Commands, process names, options and their fixed values come from here;
# task ids, worker ids and task kinds from the running tree, asked through
# the same -c or -s as the command line names, for at most a second, and
# nothing when it does not answer.

# actorctl with the line's -c/-s, quietly: _actorctl_ask ARGS...
_actorctl_ask() {
	"${_actorctl_cmd[@]}" -t 1000 "$@" 2>/dev/null
}

# The first column of a table's rows (task list, worker list).
_actorctl_ids() {
	_actorctl_ask "$@" | awk 'NR > 1 { print $1 }'
}

_actorctl_kinds() {
	_actorctl_ask send coordinator:main GetKinds |
	    sed -n 's/^ *"name": *"\([^"]*\)".*/\1/p'
}

_actorctl() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local i w cmd='' sub='' words='' nargs=0 given=''
	local _actorctl_cmd=("${COMP_WORDS[0]}")

	COMPREPLY=()
	# The options before the command, and the command's words since.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [ -z "$cmd" ]; then
			case $w in
			-c|-s)
				_actorctl_cmd+=("$w" "${COMP_WORDS[i + 1]}")
				i=$((i + 1)) ;;
			-t) i=$((i + 1)) ;;
			-*) ;;
			*) cmd=$w ;;
			esac
			continue
		fi
		case $w in
		--queue|--priority|--delay|--worker|--id|--attempts|--status|\
		--kind|--limit|--cursor|--host|-n)
			i=$((i + 1)) ;;
		-*) ;;
		*)
			[ -z "$sub" ] && sub=$w
			nargs=$((nargs + 1)) ;;
		esac
	done

	case $prev in
	-c|-s)
		[ -z "$cmd" ] && { compopt -o filenames 2>/dev/null
		    COMPREPLY=($(compgen -f -- "$cur")); return; } ;;
	-t|--priority|--delay|--id|--attempts|--limit|--cursor|--host|-n)
		return ;;
	--worker)
		given=1 words=$(_actorctl_ids worker list) ;;
	--kind)
		given=1 words=$(_actorctl_kinds) ;;
	--status)
		given=1 words="queued running scheduled retrying completed
		    failed cancelled" ;;
	--queue)
		return ;;
	esac
	if [ -z "$given" ]; then
		case $cmd in
		'')
			words="status start stop restart kill wait sessions
			    inspect send logs reload shutdown version task queue
			    worker"
			[[ $cur == -* ]] && words="-j --json -c -s -t --help -V" ;;
		status)
			[ $nargs -eq 0 ] && words=--cluster ;;
		start|stop|restart|inspect)
			[ $nargs -eq 0 ] && words="eventlog coordinator worker
			    link gateway" ;;
		kill)
			case $nargs in
			0) words="eventlog coordinator worker link gateway" ;;
			1) words="TERM KILL HUP INT QUIT USR1 USR2 STOP CONT" ;;
			esac ;;
		wait)
			case $nargs in
			0) words="eventlog coordinator worker link gateway" ;;
			1) words="up down backoff starting stopping failed" ;;
			esac ;;
		logs)
			words="-n -f" ;;
		send)
			[ $nargs -eq 0 ] && words="coordinator:main eventlog:main
			    system:supervisor" ;;
		task)
			case $sub in
			'')
				words="submit get list watch retry cancel
				    delete" ;;
			submit)
				if [[ $cur == -* ]]; then
					words="--queue --priority --delay --worker
					    --id --attempts --wait --json"
				elif [ $nargs -eq 1 ]; then
					words=$(_actorctl_kinds)
				fi ;;
			list)
				words="--status --kind --queue --worker --limit
				    --cursor --all --json" ;;
			get|watch|retry|cancel|delete)
				[ $nargs -eq 1 ] &&
				    words=$(_actorctl_ids task list --limit 100) ;;
			esac ;;
		queue)
			[ -z "$sub" ] && words="pause resume" ;;
		worker)
			case $sub in
			'') words="add remove list" ;;
			add) [[ $cur == -* ]] && words=--host ;;
			remove)
				[ $nargs -eq 1 ] &&
				    words=$(_actorctl_ids worker list) ;;
			esac ;;
		esac
	fi
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

complete -F _actorctl actorctl
