# Turn `actord -p` into the key reference of actord.conf(5), in mdoc.
#
#   actord -p | awk -f this > keys.mdoc
#
# Every section becomes a subsection with a tagged list; every key an item
# with its built-in default (from the "(default: v)" of its doc line) and
# its doc line as the description, and so is the commented template of a
# [kind.NAME] section.  Run at install time, so the manual
# lists exactly the keys the installed actord knows.

# Text on a line of its own: escape backslashes and a leading control dot.
function text(s) {
	gsub(/\\/, "\\e", s)
	if (s ~ /^[.']/)
		s = "\\&" s
	return s
}

# A quoted macro argument.
function arg(s) {
	gsub(/\\/, "\\e", s)
	gsub(/"/, "\\(dq", s)
	return "\"\\&" s "\""
}

function close_list() {
	if (open)
		print ".El"
	open = 0
}

NR == 1 && /^# actord\.conf:/ { next }

# The commented template of [kind.NAME] that -p prints when no kind is
# configured: its header and keys as if they were not commented.
/^#\[.*\]$/ || /^#[a-z_]+ =/ {
	sub(/^#/, "")
}

/^\[.*\]$/ {
	close_list()
	print ".Ss " arg($0)
	print ".Bl -tag -width Ds"
	open = 1
	next
}

/^# / {
	doc = substr($0, 3)
	def = ""
	if (match(doc, / \(default: .*\)$/)) {
		def = substr(doc, RSTART + 11, RLENGTH - 12)
		doc = substr(doc, 1, RSTART - 1)
	}
	next
}

/^[a-z_]+ =/ {
	if (def == "empty" || def == "")
		print ".It Ic " $1 " Pq default: empty"
	else
		print ".It Ic " $1 " Pq default: Ql " arg(def)
	print text(doc ".")
	doc = def = ""
	next
}

END { close_list() }
