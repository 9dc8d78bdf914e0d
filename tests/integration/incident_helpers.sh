# Shell helpers for the tests of the incident views (report_chromium.sh,
# tail_test.sh): sourced, not run, after tests/lib.sh. Then:
#   scenario_stories         # the stories scripts/gen-scenario can write
#                            # (its --scenario choices), the default first;
#                            # "default" when it has no --scenario
#   scenario_incidents DIR [STORY]
#                            # the story through build/vigie with the
#                            # config gen-scenario names for it:
#                            # DIR/flows.json, and in INC_FILE the -A file
#                            # with its incident records (INC_SOURCE=sensor).
# Returns 1 (with a message) when the sensor or the generator is missing, or
# when the sensor wrote no incident record.

scenario_stories() {
    local choices
    choices=$(/usr/bin/python3 "$ROOT/scripts/gen-scenario" --help 2>/dev/null | tr -d '\n' |
        grep -o -- '--scenario {[^}]*}' | head -1 | sed 's/.*{//; s/}//; s/,/ /g')
    echo "${choices:-default}"
}

scenario_incidents() { # DIR [STORY]
    local dir=$1 story=${2:-default} config
    INC_FILE="" INC_SOURCE=""
    [ -x "$VIGIE" ] || { echo "no $VIGIE: build it first (./scripts/build.sh Release build)" >&2; return 1; }
    mkdir -p "$dir"
    local sel=()
    [ "$story" != default ] && sel=(--scenario "$story")
    /usr/bin/python3 "$ROOT/scripts/gen-scenario" "${sel[@]}" --out "$dir/scenario.pcap" >"$dir/gen.log" 2>&1 ||
        { echo "gen-scenario failed: $(tail -2 "$dir/gen.log")" >&2; return 1; }
    # gen-scenario names the config its story is written for: "(config FILE)".
    config=$(grep -o '(config [^)]*)' "$dir/gen.log" | head -1 | sed 's/^(config //; s/)$//')
    config=$ROOT/${config:-config/vigie.yaml}
    "$VIGIE" -c "$config" -r "$dir/scenario.pcap" --no-redis -A "$dir/alerts.json" \
        --flows "$dir/flows.json" 2>"$dir/vigie.log" ||
        { echo "vigie failed on the scenario: $(tail -2 "$dir/vigie.log")" >&2; return 1; }
    # The correlation stage must have written them: a scenario without an
    # incident is a failure, never a reason to test something else.
    grep -q '"event_type":"incident"' "$dir/alerts.json" ||
        { echo "the sensor wrote no incident record on the $story scenario" >&2; return 1; }
    INC_FILE=$dir/alerts.json INC_SOURCE=sensor
}
