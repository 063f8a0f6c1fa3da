# The integration vendors' APIs, faked for the end-to-end tests: loaded by
# http_server.pl --routes test/fakes/vendors.pl.  Each vendor lives under its
# own path prefix of the one server, so a tenant's instance URLs point at
#   http://127.0.0.1:PORT/ninja      NinjaOne public API v2 + /ws/oauth/token
#   http://127.0.0.1:PORT/tactical   Tactical RMM (X-API-KEY, or Knox /v2/login/)
#   http://127.0.0.1:PORT/level      Level API v2
#   http://127.0.0.1:PORT/huntress   Huntress API v1 (Basic)
#   http://127.0.0.1:PORT/login      Microsoft identity platform token endpoints
#   http://127.0.0.1:PORT/graph      Microsoft Graph v1.0
#   http://127.0.0.1:PORT/bot        Bot Framework connector (a conversation's serviceUrl)
#
# Credentials the fakes accept (the tests store them as tenant secrets):
#   NinjaOne  client_id ninja-client, client_secret ninja-secret; refresh token ninja-refresh-1
#             (rotated to ninja-refresh-2, ...); API calls need a Bearer token it issued
#   Tactical  X-API-KEY tactical-key; Knox login tech / tech-pass -> Authorization: Token <t>
#   Level     Authorization: level-key (no Bearer prefix)
#   Huntress  Basic hk:hs
#   Microsoft client_id teams-app, client_secret teams-secret; Graph and bot tokens differ
#
# Control endpoints (never logged as vendor calls by the tests, which filter on prefixes):
#   POST /_fault {"path": regex, "method"?: "GET", "status": 500, "count"?: 1,
#                 "retry_after"?: s, "delay_ms"?: ms, "hang"?: true, "body"?: text,
#                 "content_type"?: "application/json"}
#        the next `count` matching requests get that answer instead (0 = forever)
#   POST /_revoke   every issued token becomes invalid (the next API call gets 401)
#   POST /_reset    faults, tokens and vendor state back to the start
#   GET  /_state    the vendors' state (resolved incidents, reset alerts, ...)
use strict;
use warnings;
use JSON::PP;
use MIME::Base64 qw(decode_base64);

my $json = JSON::PP->new->canonical(1)->allow_nonref(1);
my (@faults, %tokens, $state, $seq);

sub initial_state {
    return {
        ninja_devices => [
            {id => 101, organizationId => 1, locationId => 1, systemName => 'GLOBEX-DC01', displayName => 'Globex DC',
             dnsName => 'dc01.globex.local', offline => JSON::PP::false, lastContact => 1714557600, nodeClass => 'WINDOWS_SERVER',
             os => {name => 'Windows Server 2022 Standard'}, system => {serialNumber => 'SN-DC01'}},
            {id => 102, organizationId => 1, locationId => 1, systemName => 'GLOBEX-WS17', displayName => 'Reception PC',
             dnsName => 'ws17.globex.local', offline => JSON::PP::true, lastContact => 1714471200, nodeClass => 'WINDOWS_WORKSTATION',
             os => {name => 'Windows 11 Pro'}, system => {serialNumber => 'SN-WS17'}},
            {id => 103, organizationId => 2, locationId => 3, systemName => 'INITECH-MAC1', displayName => undef,
             dnsName => undef, offline => JSON::PP::false, lastContact => 1714560000, nodeClass => 'MAC',
             os => {name => 'macOS 14'}, system => {serialNumber => 'SN-MAC1'}},
        ],
        ninja_alerts => [
            {uid => 'a1b2c3d4-0000-4000-8000-000000000001', deviceId => 101, message => 'Disk C: 97% full', severity => 'CRITICAL',
             priority => 'HIGH', sourceType => 'CONDITION_DISK_USAGE', sourceName => 'Disk usage', createTime => 1714557000.5, updateTime => 1714557000.5},
            {uid => 'a1b2c3d4-0000-4000-8000-000000000002', deviceId => 102, message => 'Device offline', severity => 'MAJOR',
             priority => 'MEDIUM', sourceType => 'CONDITION_OFFLINE', sourceName => 'Offline', createTime => 1714470000, updateTime => 1714470000},
        ],
        ninja_reset => [], ninja_reboots => [], ninja_scripts_run => [],
        tactical_agents => [
            {agent_id => 'AgEnT-ONE', hostname => 'GLOBEX-FS01', client_name => 'Globex Corporation', client_id => 4,
             site_name => 'HQ', status => 'online', last_seen => '2024-05-01T09:58:00Z', operating_system => 'Windows Server 2019'},
            {agent_id => 'AgEnT-TWO', hostname => 'INITECH-LT3', client_name => 'Initech', client_id => 5,
             site_name => 'Main', status => 'offline', last_seen => '2024-04-29T17:00:00Z', operating_system => 'Windows 10 Pro'},
        ],
        tactical_scripts => [
            {id => 89, name => 'Clear print spooler', shell => 'powershell', category => 'Maintenance', description => 'Clears stuck jobs'},
            {id => 90, name => 'Free disk space', shell => 'powershell', category => 'Maintenance', description => 'Empties temp folders and the recycle bin'},
        ],
        tactical_runs => [], tactical_reboots => [],
        level_devices => [map { {id => "dev-$_", hostname => "LEVEL-HOST-$_", nickname => ($_ == 1 ? 'Front desk' : undef),
                                 group_id => 'grp-1', online => ($_ % 2 ? JSON::PP::true : JSON::PP::false), platform => 'windows',
                                 operating_system => {full_operating_system => 'Windows 11 Pro 23H2'}, serial_number => "LV-$_",
                                 last_seen_at => '2024-05-01T10:00:00Z', security_score => 80 + $_} } 1 .. 5],
        level_alerts => [
            {id => 'alrt-1', device_id => 'dev-1', device_hostname => 'LEVEL-HOST-1', name => 'Low disk space',
             description => 'C: has less than 5% free', severity => 'critical', is_resolved => JSON::PP::false,
             started_at => '2024-05-01T09:00:00Z', resolved_at => undef},
            {id => 'alrt-2', device_id => 'dev-2', device_hostname => 'LEVEL-HOST-2', name => 'CPU high',
             description => 'CPU above 95% for 10 minutes', severity => 'warning', is_resolved => JSON::PP::false,
             started_at => '2024-05-01T09:30:00Z', resolved_at => undef},
        ],
        level_updates => [
            {id => 'upd-1', device_id => 'dev-1', device_hostname => 'LEVEL-HOST-1', name => 'KB5036893', category => 'security',
             is_available => JSON::PP::true, installed_on => undef},
            {id => 'upd-2', device_id => 'dev-1', device_hostname => 'LEVEL-HOST-1', name => 'KB5035853', category => 'cumulative',
             is_available => JSON::PP::false, installed_on => '2024-04-10'},
        ],
        level_automations => [
            {id => 'auto-1', name => 'Clean up disk', description => 'Frees disk space', group_id => 'grp-1', group_name => 'Servers'},
            {id => 'auto-2', name => 'Reboot weekly', description => undef, group_id => undef, group_name => undef},
        ],
        level_webhooks => [{automation_id => 'auto-1', url => 'https://api.level.io/v2/automations/webhooks/tok-clean', requires_authorization_header => JSON::PP::true}],
        level_resolved => [], level_triggers => [],
        huntress_incidents => [map { {id => $_->[0], status => $_->[1], severity => $_->[2], platform => 'windows',
                                      summary => "Huntress detected a malicious scheduled task on host $_->[0]",
                                      subject => uc($_->[2]) . " - Incident on GLOBEX-WS$_->[0]", organization_id => 4,
                                      agent_id => $_->[3], indicator_types => ['footholds'],
                                      body => "<p>Remove the scheduled task \\Windows\\Updater-$_->[0].</p>",
                                      sent_at => '2024-05-01T08:00:00Z', closed_at => undef, updated_at => '2024-05-01T08:00:00Z'} }
                                 ([421, 'sent', 'critical', 12], [422, 'sent', 'high', 13], [423, 'sent', 'low', 12],
                                  [424, 'closed', 'low', 14], [425, 'sent', 'critical', 15])],
        huntress_orgs => [map { {id => $_, name => ($_ == 4 ? 'Globex Corporation' : "Org $_"), agents_count => $_ * 3} } 1 .. 7],
        huntress_agents => {map { ($_ => {id => $_, hostname => "GLOBEX-WS$_", platform => 'windows', os => 'Windows 11 Pro',
                                          version => '0.13.80', organization_id => 4, last_callback_at => '2024-05-01T09:59:00Z',
                                          ipv4_address => "10.0.0.$_"}) } 12 .. 15},
        huntress_resolved => [],
        teams_users => {'aad-alice' => 1, 'aad-tom' => 1},
        teams_notifications => [], bot_messages => [], bot_conversations => {'a:1tomPersonal' => 1, '19:chanconv@thread.tacv2' => 1},
        bot_channels => {'19:escalations@thread.tacv2' => 1},
    };
}
$state = initial_state();
$seq = 0;

sub j { my ($status, $v, %h) = @_; return {status => $status, headers => {'Content-Type' => 'application/json', %h}, body => $json->encode($v)}; }
sub empty { my ($status) = @_; return {status => $status, headers => {}, body => ''}; }
sub body_json { my ($r) = @_; my $v = eval { $json->decode($r->{body} // '') }; return $v; }
sub form { my ($r) = @_; my %f; for (split /&/, $r->{body} // '') { my ($k, $v) = split /=/, $_, 2; for ($k, $v) { $_ //= ''; tr/+/ /; s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge; } $f{$k} = $v; } return \%f; }
sub bearer_ok { my ($r, $kind) = @_; my $a = $r->{headers}{authorization} // ''; return $a =~ /^Bearer (\S+)$/ && ($tokens{$1} // '') eq $kind; }
sub unauthorized { return j(401, {error => 'unauthorized'}); }
sub issue { my ($kind, $prefix) = @_; my $t = "$prefix-" . ++$seq; $tokens{$t} = $kind; return $t; }

my @routes = (
    # ---- control ------------------------------------------------------------
    [qr{^/_fault$}, sub { my ($r) = @_; my $f = body_json($r) || {}; $f->{count} //= 1; push @faults, $f; return j(200, {ok => JSON::PP::true}); }],
    [qr{^/_revoke$}, sub { %tokens = (); return j(200, {ok => JSON::PP::true}); }],
    [qr{^/_reset$}, sub { @faults = (); %tokens = (); $state = initial_state(); return j(200, {ok => JSON::PP::true}); }],
    [qr{^/_state$}, sub { return j(200, $state); }],

    # ---- a generic API paginated with Link headers (RFC 8288), Bearer auth --------
    [qr{^/paged/items$}, sub {
        my ($r) = @_;
        return j(401, {error => 'unauthorized'}) unless ($r->{headers}{authorization} // '') eq 'Bearer paged-token';
        my $p = $r->{query}{page} // 1;
        my %h;
        $h{Link} = '</paged/items?page=' . ($p + 1) . '>; rel="next", </paged/items?page=3>; rel="last"' if $p < 3;
        my $res = j(200, [map { {id => ($p - 1) * 2 + $_, page => $p + 0} } 1 .. 2], %h);
        return $res;
    }],
    [qr{^/forms/echo$}, sub { my ($r) = @_; return j(200, {received => form($r), content_type => $r->{headers}{'content-type'}}); }],

    # ---- NinjaOne -------------------------------------------------------------
    [qr{^/ninja/ws/oauth/token$}, sub {
        my ($r) = @_; my $f = form($r);
        my $id_ok = ($f->{client_id} // '') eq 'ninja-client' && ($f->{client_secret} // '') eq 'ninja-secret';
        return j(401, {error => 'invalid_client'}) unless $id_ok;
        if (($f->{grant_type} // '') eq 'client_credentials') {
            return j(200, {access_token => issue('ninja', 'nj-tok'), token_type => 'bearer', expires_in => 3600, scope => $f->{scope}});
        }
        if (($f->{grant_type} // '') eq 'refresh_token') {
            my $want = $state->{ninja_refresh} // 'ninja-refresh-1';
            return j(400, {error => 'invalid_grant'}) unless ($f->{refresh_token} // '') eq $want;
            my ($n) = $want =~ /(\d+)$/; $state->{ninja_refresh} = 'ninja-refresh-' . ($n + 1);
            return j(200, {access_token => issue('ninja', 'nj-rtok'), token_type => 'bearer', expires_in => 3600,
                           refresh_token => $state->{ninja_refresh}});
        }
        return j(400, {error => 'unsupported_grant_type'});
    }],
    [qr{^/ninja/v2/devices$}, sub {
        my ($r) = @_; return unauthorized() unless bearer_ok($r, 'ninja');
        my $after = $r->{query}{after} // 0; my $size = $r->{query}{pageSize} // 1000;
        my @d = grep { $_->{id} > $after } @{$state->{ninja_devices}};
        @d = @d[0 .. $size - 1] if @d > $size;
        return j(200, \@d);
    }],
    [qr{^/ninja/v2/device/(\d+)$}, sub {
        my ($r, $id) = @_; return unauthorized() unless bearer_ok($r, 'ninja');
        my ($d) = grep { $_->{id} == $id } @{$state->{ninja_devices}};
        return $d ? j(200, $d) : j(404, {error => 'device not found'});
    }],
    [qr{^/ninja/v2/device/(\d+)/reboot/(NORMAL|FORCED)$}, sub {
        my ($r, $id, $mode) = @_; return unauthorized() unless bearer_ok($r, 'ninja');
        return j(404, {error => 'device not found'}) unless grep { $_->{id} == $id } @{$state->{ninja_devices}};
        push @{$state->{ninja_reboots}}, {id => $id + 0, mode => $mode, body => body_json($r)}; return empty(204);
    }],
    [qr{^/ninja/v2/device/(\d+)/scripting/options$}, sub {
        my ($r, $id) = @_; return unauthorized() unless bearer_ok($r, 'ninja');
        return j(404, {error => 'device not found'}) unless grep { $_->{id} == $id } @{$state->{ninja_devices}};
        return j(200, {categories => [{id => 1, name => 'Maintenance'}],
                       scripts => [{type => 'SCRIPT', id => 7, name => 'Clear temp files', language => 'powershell', description => 'Deletes %TEMP%', categoriesIds => [1]},
                                   {type => 'ACTION', uid => 'f1e2d3c4-0000-4000-8000-00000000000a', name => 'Restart Print Spooler', language => 'native'}]});
    }],
    [qr{^/ninja/v2/device/(\d+)/script/run$}, sub {
        my ($r, $id) = @_; return unauthorized() unless bearer_ok($r, 'ninja');
        return j(404, {error => 'device not found'}) unless grep { $_->{id} == $id } @{$state->{ninja_devices}};
        push @{$state->{ninja_scripts_run}}, {id => $id + 0, body => body_json($r)}; return empty(204);
    }],
    [qr{^/ninja/v2/alerts$}, sub {
        my ($r) = @_; return unauthorized() unless bearer_ok($r, 'ninja');
        my %reset = map { $_ => 1 } @{$state->{ninja_reset}};
        return j(200, [grep { !$reset{$_->{uid}} } @{$state->{ninja_alerts}}]);
    }],
    [qr{^/ninja/v2/alert/([^/]+)/reset$}, sub {
        my ($r, $uid) = @_; return unauthorized() unless bearer_ok($r, 'ninja');
        return j(404, {error => 'alert not found'}) unless grep { $_->{uid} eq $uid } @{$state->{ninja_alerts}};
        push @{$state->{ninja_reset}}, $uid; return empty(204);
    }],

    # ---- Tactical RMM ---------------------------------------------------------
    [qr{^/tactical/v2/login/$}, sub {
        my ($r) = @_; my $b = body_json($r) || {};
        return j(400, {non_field_errors => ['Bad credentials']}) unless ($b->{username} // '') eq 'tech' && ($b->{password} // '') eq 'tech-pass';
        return j(200, {expiry => '2099-01-01T00:00:00Z', token => issue('tactical', 'knox')});
    }],
    [qr{^/tactical/(.*)$}, sub {
        my ($r, $rest) = @_;
        my $auth_ok = ($r->{headers}{'x-api-key'} // '') eq 'tactical-key'
            || (($r->{headers}{authorization} // '') =~ /^Token (\S+)$/ && ($tokens{$1} // '') eq 'tactical');
        return j(401, {detail => 'Authentication credentials were not provided.'}) unless $auth_ok;
        if ($rest eq 'agents/' && $r->{method} eq 'GET') { return j(200, $state->{tactical_agents}); }
        if ($rest eq 'scripts/' && $r->{method} eq 'GET') { return j(200, $state->{tactical_scripts}); }
        if ($rest =~ m{^agents/([^/]+)/$} && $r->{method} eq 'GET') {
            my ($a) = grep { $_->{agent_id} eq $1 } @{$state->{tactical_agents}}; return $a ? j(200, $a) : j(404, {detail => 'Not found.'});
        }
        if ($rest =~ m{^agents/([^/]+)/(runscript|cmd|reboot)/$} && $r->{method} eq 'POST') {
            my ($id, $what) = ($1, $2);
            my ($a) = grep { $_->{agent_id} eq $id } @{$state->{tactical_agents}};
            return j(404, {detail => 'Not found.'}) unless $a;
            return j(400, "Unable to contact the agent") if $a->{status} ne 'online' && $what ne 'reboot';
            my $b = body_json($r);
            if ($what eq 'reboot') { push @{$state->{tactical_reboots}}, $id; return j(200, 'ok'); }
            push @{$state->{tactical_runs}}, {agent_id => $id, kind => $what, body => $b};
            if ($what eq 'runscript') {
                return j(200, 'Script queued') if ($b->{output} // 'wait') eq 'forget';
                return j(200, ($b->{script} // 0) == 90 ? "C: freed 4.2 GB\r\nFree space now 38%" : "Script $b->{script} finished");
            }
            return j(200, "ran: " . ($b->{cmd} // ''));
        }
        return j(404, {detail => 'Not found.'});
    }],

    # ---- Level ------------------------------------------------------------------
    [qr{^/level/v2/(.*)$}, sub {
        my ($r, $rest) = @_;
        return j(401, {error => 'invalid API key'}) unless ($r->{headers}{authorization} // '') eq 'level-key';
        my $q = $r->{query};
        my $page = sub {
            my ($list) = @_; my @l = @$list;
            if (defined $q->{starting_after}) { my $i = 0; $i++ while $i < @l && $l[$i]{id} ne $q->{starting_after}; @l = @l[$i + 1 .. $#l]; }
            my $limit = $q->{limit} // 100; $limit = 2 if $limit > 2;  # small pages: the tests see pagination
            my $more = @l > $limit; @l = @l[0 .. $limit - 1] if $more;
            return j(200, {data => \@l, has_more => $more ? JSON::PP::true : JSON::PP::false});
        };
        if ($rest eq 'devices') { return $page->([grep { !defined $q->{group_id} || ($_->{group_id} // '') eq $q->{group_id} } @{$state->{level_devices}}]); }
        if ($rest =~ m{^devices/([^/]+)$}) { my ($d) = grep { $_->{id} eq $1 } @{$state->{level_devices}}; return $d ? j(200, $d) : j(404, {error => 'not found'}); }
        if ($rest eq 'alerts') {
            my %res = map { $_ => 1 } @{$state->{level_resolved}};
            return $page->([grep { (!defined $q->{device_id} || $_->{device_id} eq $q->{device_id})
                                   && (($q->{status} // 'active') ne 'active' || !$res{$_->{id}}) } @{$state->{level_alerts}}]);
        }
        if ($rest =~ m{^alerts/([^/]+)/resolve$} && $r->{method} eq 'POST') {
            return j(404, {error => 'not found'}) unless grep { $_->{id} eq $1 } @{$state->{level_alerts}};
            push @{$state->{level_resolved}}, $1; return j(200, {id => $1, is_resolved => JSON::PP::true});
        }
        if ($rest eq 'updates') {
            return $page->([grep { (!defined $q->{device_id} || $_->{device_id} eq $q->{device_id})
                                   && (!defined $q->{status} || ($q->{status} eq 'available') == !!$_->{is_available}) } @{$state->{level_updates}}]);
        }
        if ($rest eq 'automations') { return $page->($state->{level_automations}); }
        if ($rest eq 'automations/webhooks' && $r->{method} eq 'GET') { return j(200, {data => $state->{level_webhooks}, has_more => JSON::PP::false}); }
        if ($rest =~ m{^automations/webhooks/([^/]+)$} && $r->{method} eq 'POST') {
            my $tok = $1;
            return j(404, {error => 'webhook not found'}) unless grep { $_->{url} =~ m{/\Q$tok\E$} } @{$state->{level_webhooks}};
            push @{$state->{level_triggers}}, {token => $tok, body => body_json($r)};
            return j(200, {run_id => 'run-' . scalar(@{$state->{level_triggers}})});
        }
        if ($rest =~ m{^automation-runs/([^/]+)$}) {
            my $id = $1; return j(404, {error => 'not found'}) unless $id =~ /^run-\d+$/;
            my $run = {id => $id, automation_id => 'auto-1', automation_name => 'Clean up disk', device_id => 'dev-1',
                       device_hostname => 'LEVEL-HOST-1', status => 'success', started_at => '2024-05-01T10:00:00Z', ended_at => '2024-05-01T10:01:10Z'};
            $run->{steps} = [{name => 'Delete temp files', status => 'success'}] if ($q->{include_steps} // '') eq 'true';
            return j(200, $run);
        }
        return j(404, {error => 'not found'});
    }],

    # ---- Huntress ---------------------------------------------------------------
    [qr{^/huntress/v1/(.*)$}, sub {
        my ($r, $rest) = @_;
        my ($u, $p) = split /:/, decode_base64((($r->{headers}{authorization} // '') =~ /^Basic (\S+)$/)[0] // ''), 2;
        return j(401, {error => 'Unauthorized'}) unless ($u // '') eq 'hk' && ($p // '') eq 'hs';
        my $q = $r->{query};
        my $paged = sub {
            my ($key, $list) = @_; my $limit = $q->{limit} // 10; $limit = 3 if $limit > 3;  # small pages: the tests see pagination
            my $from = $q->{page_token} // 0;
            my @l = @$list[$from .. $#$list]; my $next = @l > $limit ? $from + $limit : undef;
            @l = @l[0 .. $limit - 1] if @l > $limit;
            return j(200, {$key => \@l, pagination => {current_page_count => scalar(@l), limit => $limit + 0,
                                                      (defined $next ? (next_page_token => "$next", next_page_url => "/v1/$rest?page_token=$next") : ())}});
        };
        if ($rest eq 'incident_reports') {
            return $paged->('incident_reports', [grep { (!defined $q->{status} || $_->{status} eq $q->{status})
                                                        && (!defined $q->{severity} || $_->{severity} eq $q->{severity})
                                                        && (!defined $q->{agent_id} || $_->{agent_id} == $q->{agent_id}) } @{$state->{huntress_incidents}}]);
        }
        if ($rest =~ m{^incident_reports/(\d+)$}) {
            my ($i) = grep { $_->{id} == $1 } @{$state->{huntress_incidents}}; return $i ? j(200, {incident_report => $i}) : j(404, {error => 'Not Found'});
        }
        if ($rest =~ m{^incident_reports/(\d+)/resolution$} && $r->{method} eq 'POST') {
            my ($i) = grep { $_->{id} == $1 } @{$state->{huntress_incidents}};
            return j(404, {error => 'Not Found'}) unless $i;
            return j(409, {error => 'Remediations must be approved'}) if $i->{id} == 423;
            return j(422, {error => 'Incident Report cannot be resolved unless report status is sent'}) if $i->{status} ne 'sent';
            $i->{status} = 'closed'; $i->{closed_at} = '2024-05-01T12:00:00Z'; push @{$state->{huntress_resolved}}, $i->{id};
            return j(201, {incident_report => $i});
        }
        if ($rest eq 'organizations') { return $paged->('organizations', $state->{huntress_orgs}); }
        if ($rest =~ m{^agents/(\d+)$}) { my $a = $state->{huntress_agents}{$1}; return $a ? j(200, {agent => $a}) : j(404, {error => 'Not Found'}); }
        if ($rest eq 'account') { return j(200, {account => {id => 77, name => 'Acme MSP', subdomain => 'acme-msp'}}); }
        return j(404, {error => 'Not Found'});
    }],

    # ---- Microsoft identity platform, Graph, Bot Framework -----------------------
    [qr{^/login/([^/]+)/oauth2/v2\.0/token$}, sub {
        my ($r, $tenant) = @_; my $f = form($r);
        return j(401, {error => 'invalid_client', error_description => 'AADSTS7000215: Invalid client secret provided.'})
            unless ($f->{client_id} // '') eq 'teams-app' && ($f->{client_secret} // '') eq 'teams-secret';
        return j(400, {error => 'unsupported_grant_type'}) unless ($f->{grant_type} // '') eq 'client_credentials';
        my $scope = $f->{scope} // '';
        return j(200, {token_type => 'Bearer', expires_in => 3599, access_token => issue('graph', 'graph-tok')})
            if $scope eq 'https://graph.microsoft.com/.default' && $tenant ne 'botframework.com';
        return j(200, {token_type => 'Bearer', expires_in => 3599, access_token => issue('bot', 'bot-tok')})
            if $scope eq 'https://api.botframework.com/.default';
        return j(400, {error => 'invalid_scope'});
    }],
    [qr{^/graph/v1\.0/users/([^/]+)/teamwork/sendActivityNotification$}, sub {
        my ($r, $user) = @_; return unauthorized() unless bearer_ok($r, 'graph');
        return j(404, {error => {code => 'NotFound', message => 'User not found or app not installed'}}) unless $state->{teams_users}{$user};
        push @{$state->{teams_notifications}}, {user => $user, body => body_json($r)}; return empty(204);
    }],
    [qr{^/bot/v3/conversations/([^/]+)/activities$}, sub {
        my ($r, $conv) = @_; return unauthorized() unless bearer_ok($r, 'bot');
        $conv =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
        return j(404, {error => {code => 'ConversationNotFound', message => 'Conversation not found.'}}) unless $state->{bot_conversations}{$conv};
        push @{$state->{bot_messages}}, {conversation => $conv, body => body_json($r)};
        return j(201, {id => 'act-' . scalar(@{$state->{bot_messages}})});
    }],
    [qr{^/bot/v3/conversations$}, sub {
        my ($r) = @_; return unauthorized() unless bearer_ok($r, 'bot');
        my $b = body_json($r) || {}; my $ch = $b->{channelData}{channel}{id} // '';
        return j(403, {error => {code => 'BotNotInConversationRoster', message => 'The bot is not part of the conversation roster.'}})
            unless $state->{bot_channels}{$ch};
        push @{$state->{bot_messages}}, {channel => $ch, body => $b};
        my $n = scalar(@{$state->{bot_messages}});
        return j(201, {id => "$ch;messageid=$n", activityId => "act-$n"});
    }],
);

sub before {
    my ($r) = @_;
    return undef if $r->{path} =~ m{^/_};
    for my $i (0 .. $#faults) {
        my $f = $faults[$i];
        next if $f->{delay_ms} && !defined $f->{status} && !$f->{hang};
        next if defined $f->{method} && uc($f->{method}) ne $r->{method};
        next unless $r->{path} =~ /$f->{path}/;
        splice(@faults, $i, 1) if $f->{count} > 0 && --$f->{count} == 0;
        return {hang => 1} if $f->{hang};
        my %h = ('Content-Type' => $f->{content_type} // 'application/json');
        $h{'Retry-After'} = $f->{retry_after} if defined $f->{retry_after};
        my $res = {status => $f->{status} // 500, headers => \%h,
                   body => $f->{body} // $json->encode({error => 'injected fault', status => ($f->{status} // 500) + 0})};
        $res->{delay_ms} = $f->{delay_ms} if $f->{delay_ms};
        return $res;
    }
    return undef;
}

# A "slow" fault without a status delays the real answer: wrap routing.
my $slow_before = sub {
    my ($r) = @_;
    return undef if $r->{path} =~ m{^/_};
    for my $i (0 .. $#faults) {
        my $f = $faults[$i];
        next unless $f->{delay_ms} && !defined $f->{status} && !$f->{hang};
        next if defined $f->{method} && uc($f->{method}) ne $r->{method};
        next unless $r->{path} =~ /$f->{path}/;
        splice(@faults, $i, 1) if $f->{count} > 0 && --$f->{count} == 0;
        for my $route (@routes) {
            if (my @m = ($r->{path} =~ $route->[0])) { my $res = $route->[1]->($r, @m); $res->{delay_ms} = $f->{delay_ms}; return $res; }
        }
    }
    return before($r);
};

return {routes => \@routes, before => $slow_before};
