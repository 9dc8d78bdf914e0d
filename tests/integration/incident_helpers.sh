# Shell helpers for the tests of the incident views (report_chromium.sh,
# tail_test.sh): sourced, not run, after tests/lib.sh. Then:
#   scenario_stories         # the stories scripts/gen-scenario can write
#                            # (its --scenario choices), the default first;
#                            # "default" when it has no --scenario
#   scenario_incidents DIR [STORY]
#                            # the story through build/vigie with the
#                            # config gen-scenario names for it:
#                            # DIR/flows.json, and in INC_FILE the -A file
#                            # with its incident records; INC_SOURCE says
#                            # where they come from: "sensor", or "fixture"
#                            # when the sensor wrote none (the correlation
#                            # stage not wired yet): then INC_FILE holds
#                            # versions derived from the same alerts by
#                            # incident_fixture.py, and INC_NOTE says so.
# Returns 1 (with a message) when the sensor or the generator is missing.

scenario_stories() {
    local choices
    choices=$(/usr/bin/python3 "$ROOT/scripts/gen-scenario" --help 2>/dev/null | tr -d '\n' |
        grep -o -- '--scenario {[^}]*}' | head -1 | sed 's/.*{//; s/}//; s/,/ /g')
    echo "${choices:-default}"
}

scenario_incidents() { # DIR [STORY]
    local dir=$1 story=${2:-default} config
    INC_FILE="" INC_SOURCE="" INC_NOTE=""
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
    if grep -q '"event_type":"incident"' "$dir/alerts.json"; then
        INC_FILE=$dir/alerts.json INC_SOURCE=sensor
    else
        /usr/bin/python3 "$ROOT/tests/integration/incident_fixture.py" "$dir/alerts.json" "$dir/fixture.json" \
            --config "$config" 2>/dev/null || { echo "incident_fixture.py failed" >&2; return 1; }
        INC_FILE=$dir/fixture.json INC_SOURCE=fixture
        INC_NOTE="note: the sensor wrote no incident record on the $story scenario (correlation stage not wired?):
      the checks on the sensor's own incidents are skipped; the same checks run on incident versions
      derived from its alerts by tests/integration/incident_fixture.py"
    fi
}
