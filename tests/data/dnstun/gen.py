#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Generate the labelled query-name lists for the DNS tunnelling heuristic.

    /usr/bin/python3 tests/data/dnstun/gen.py   # rewrites benign.txt, tunnel.txt, borderline.txt

Fixed seed, no network. English words come from /usr/share/dict/words
(Debian's wamerican); without it a small built-in word list is used, which
changes the output. Every template below was written for this corpus from
the documented or commonly observed shape of each kind of name; see README.md.

Each output line is "NAME" or "NAME TYPE": NAME as bulkhead's DNS parser
prints a query name (lower case, dotted, no trailing dot, bytes outside
0x21..0x7e as \\DDD), TYPE the question's type mnemonic (default A).
"""
import base64
import os
import random
import string

SEED = 20240611
R = random.Random(SEED)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = HERE

FALLBACK_WORDS = """account active address admin alpha analytics android apple archive assets
auth backup badge banner basket billing blog blue board book booking bridge build
cache calendar campaign cart catalog center chat checkout cloud cluster code config
connect console content core customer dashboard data delivery deploy design desk
device direct docs download drive edge email engine event export feed file finance
forum gallery gateway global green group guide health help home hosting image inbox
index info insight invoice jobs journal kernel keys label labs learn library link
live local login logs mail manager maps market media member mirror mobile monitor
music network news notify office online order origin pages partner pay people photo
pixel platform player portal press preview print prod profile proxy public push
quote radio ready record region relay remote report research reset resource review
river route sales sandbox scan search secure server service session share shop
signal site smart social source space sport staging static status storage store
stream studio support sync system team test ticket track trade traffic travel
update upload user video view vision voice wallet watch weather web widget world""".split()


def load_words():
    try:
        with open('/usr/share/dict/words', encoding='utf-8', errors='ignore') as f:
            ws = [w.strip() for w in f]
    except OSError:
        return FALLBACK_WORDS
    ws = [w for w in ws if w.isascii() and w.isalpha() and w.islower() and 3 <= len(w) <= 10]
    return sorted(set(ws))


WORDS = load_words()
COMMON = FALLBACK_WORDS  # the words names are mostly made of


def word(common=0.7):
    return R.choice(COMMON) if R.random() < common else R.choice(WORDS)


def rnd(alphabet, n):
    return ''.join(R.choice(alphabet) for _ in range(n))


HEX = '0123456789abcdef'
ALNUM = string.ascii_lowercase + string.digits
LOWER = string.ascii_lowercase

POPULAR = """google.com youtube.com facebook.com instagram.com twitter.com x.com wikipedia.org
amazon.com yahoo.com reddit.com linkedin.com netflix.com microsoft.com office.com live.com
bing.com apple.com icloud.com github.com gitlab.com stackoverflow.com whatsapp.com zoom.us
tiktok.com pinterest.com ebay.com paypal.com dropbox.com adobe.com salesforce.com slack.com
spotify.com twitch.tv discord.com cnn.com bbc.com nytimes.com theguardian.com wsj.com
bloomberg.com reuters.com forbes.com medium.com wordpress.com blogger.com tumblr.com
imdb.com booking.com airbnb.com expedia.com tripadvisor.com uber.com lyft.com doordash.com
shopify.com etsy.com walmart.com target.com bestbuy.com homedepot.com ikea.com nike.com
samsung.com sony.com dell.com hp.com lenovo.com intel.com nvidia.com amd.com cisco.com
oracle.com ibm.com sap.com vmware.com redhat.com ubuntu.com debian.org kernel.org
python.org npmjs.com pypi.org docker.com docker.io kubernetes.io golang.org rust-lang.org
mozilla.org mozilla.net firefox.com cloudflare.com akamai.com fastly.com digitalocean.com
heroku.com atlassian.com atlassian.net jira.com bitbucket.org trello.com notion.so figma.com
canva.com miro.com asana.com hubspot.com zendesk.com intercom.io mailchimp.com sendgrid.net
twilio.com stripe.com squareup.com okta.com auth0.com onelogin.com duosecurity.com
datadoghq.com newrelic.com splunk.com elastic.co grafana.com sentry.io pagerduty.com
letsencrypt.org digicert.com sectigo.com globalsign.com godaddy.com namecheap.com
office365.com outlook.com hotmail.com gmail.com protonmail.com yandex.ru mail.ru vk.com
baidu.com qq.com taobao.com weibo.com alibaba.com aliyun.com tmall.com jd.com
bbc.co.uk gov.uk nhs.uk amazon.co.uk ebay.co.uk theguardian.co.uk sky.com
abc.net.au news.com.au commbank.com.au telstra.com.au amazon.com.au
amazon.de spiegel.de zeit.de bild.de heise.de lemonde.fr leboncoin.fr orange.fr
amazon.co.jp yahoo.co.jp rakuten.co.jp nicovideo.jp globo.com uol.com.br mercadolibre.com.ar
naver.com daum.net kakao.com amazon.in flipkart.com rediff.com
steamcommunity.com steampowered.com epicgames.com roblox.com minecraft.net xbox.com
playstation.com ea.com ubisoft.com riotgames.com blizzard.com
wikimedia.org archive.org w3.org ietf.org iana.org icann.org arin.net ripe.net
example.com example.org example.net corp.example.com acme-corp.com contoso.com fabrikam.com
internal.example.com university.edu mit.edu stanford.edu berkeley.edu harvard.edu ox.ac.uk
cam.ac.uk""".split()

SUBS = """www mail api cdn static img images login accounts docs m app portal auth sso status
blog shop support help dev staging test admin vpn git jenkins grafana prometheus kibana ws
push edge assets media video smtp imap pop mx1 mx2 ns1 ns2 ns3 autodiscover lyncdiscover sip
enterpriseenrollment enterpriseregistration remote owa webmail calendar drive files upload
download downloads update updates telemetry metrics events logs analytics tracking pixel
ads ad adservice beacon collector ingest intake gateway proxy lb origin origin-www secure
my id identity oauth sts graph data search news weather maps play store music tv live chat
community forum wiki jira confluence ci build registry artifactory nexus sonar vault consul
nomad k8s rancher argocd harbor minio s3 backup db mysql postgres redis kafka rabbitmq
elastic es opensearch mongo cassandra ldap ad01 dc01 dc02 fs01 print printer scanner
intranet extranet partners careers jobs investors press about legal privacy""".split()

REGIONS = """us-east-1 us-east-2 us-west-1 us-west-2 eu-west-1 eu-west-2 eu-west-3 eu-central-1
eu-north-1 ap-south-1 ap-southeast-1 ap-southeast-2 ap-northeast-1 ap-northeast-2
sa-east-1 ca-central-1 me-south-1 af-south-1""".split()
AZ_REGIONS = """eastus eastus2 westus westus2 westeurope northeurope uksouth ukwest
centralus southcentralus japaneast australiaeast canadacentral francecentral
germanywestcentral swedencentral""".split()
GCP_SUFFIX = 'uc ue uw ew an as el nw'.split()
AIRPORTS = 'lhr ams fra cdg iad ord lax sjc sea dfw atl mia nrt hkg sin syd gru bom mad arn waw'.split()


def ip4():
    return [R.randint(1, 223), R.randint(0, 255), R.randint(0, 255), R.randint(1, 254)]


def bucket_name():
    k = R.randrange(8)
    acct = rnd(string.digits, 12)
    reg = R.choice(REGIONS)
    if k == 0:
        return 'cf-templates-%s-%s' % (rnd(ALNUM, 12), reg)
    if k == 1:
        return 'elasticbeanstalk-%s-%s' % (reg, acct)
    if k == 2:
        return 'aws-cloudtrail-logs-%s-%s' % (acct, rnd(HEX, 8))
    if k == 3:
        return '%s-%s-%s' % (word(), word(), acct)
    if k == 4:
        return '%s-%s-%s' % (word(), R.choice(['prod', 'dev', 'staging', 'logs', 'backup']), reg)
    if k == 5:
        return 'sagemaker-%s-%s' % (reg, acct)
    if k == 6:
        return '%s.%s' % (word(), R.choice(['example.com', 'acme-corp.com', 'assets.contoso.com']))
    return '%s-%s' % (word(), word())


def guid():
    return '%s-%s-%s-%s-%s' % (rnd(HEX, 8), rnd(HEX, 4), rnd(HEX, 4), rnd(HEX, 4), rnd(HEX, 12))


def cloud_name():
    k = R.randrange(46)
    reg = R.choice(REGIONS)
    a = ip4()
    if k == 0:
        return 'ec2-%d-%d-%d-%d.compute-1.amazonaws.com' % tuple(a)
    if k == 1:
        return 'ec2-%d-%d-%d-%d.%s.compute.amazonaws.com' % (*a, reg)
    if k == 2:
        return 'ip-10-%d-%d-%d.ec2.internal' % (R.randint(0, 255), R.randint(0, 255), R.randint(1, 254))
    if k == 3:
        return 'ip-172-31-%d-%d.%s.compute.internal' % (R.randint(0, 255), R.randint(1, 254), reg)
    if k == 4:
        return 'd%s.cloudfront.net' % rnd(ALNUM, R.choice([12, 13, 13, 13]))
    if k == 5:
        return '%s-%s.%s.elb.amazonaws.com' % (R.choice([word(), word() + '-' + word(), 'internal-' + word()]),
                                              rnd(string.digits, 10), reg)
    if k == 6:  # Kubernetes LoadBalancer service on EKS
        return 'a%s-%s.%s.elb.amazonaws.com' % (rnd(HEX, 31), rnd(string.digits, 10), reg)
    if k == 7:
        return '%s-%s.elb.%s.amazonaws.com' % (word(), rnd(HEX, 16), reg)
    if k == 8:  # EKS API endpoint
        return '%s.%s.%s.eks.amazonaws.com' % (rnd(HEX, 32), R.choice(['gr7', 'sk1', 'yl4', 'xn1']), reg)
    if k == 9:
        return '%s.s3.amazonaws.com' % bucket_name()
    if k == 10:
        return '%s.s3.%s.amazonaws.com' % (bucket_name(), reg)
    if k == 11:
        return '%s.%s.%s.rds.amazonaws.com' % (word() + R.choice(['', '-db', '-prod', '-instance-1']),
                                               'c' + rnd(ALNUM, 11), reg)
    if k == 12:
        return '%s.execute-api.%s.amazonaws.com' % (rnd(ALNUM, 10), reg)
    if k == 13:
        return '%s.lambda-url.%s.on.aws' % (rnd(ALNUM, 32), reg)
    if k == 14:
        return '%s-ats.iot.%s.amazonaws.com' % (rnd(ALNUM, 14), reg)
    if k == 15:
        return '%s.dkr.ecr.%s.amazonaws.com' % (rnd(string.digits, 12), reg)
    if k == 16:
        return '%s.%s.amazonaws.com' % (R.choice(['sts', 'ssm', 'ec2messages', 'ssmmessages', 'logs',
                                                   'monitoring', 'kms', 'secretsmanager', 'sqs', 'sns',
                                                   'dynamodb', 'ecr', 'api.ecr', 'lambda', 'events']), reg)
    if k == 17:
        return 'vpce-%s-%s.%s.vpce.amazonaws.com' % (rnd(HEX, 17), rnd(ALNUM, 8),
                                                   R.choice(['s3.' + reg, 'execute-api.' + reg, 'ssm.' + reg]))
    if k == 18:
        return 'fs-%s.efs.%s.amazonaws.com' % (rnd(HEX, 17), reg)
    if k == 19:
        return 'search-%s-%s.%s.es.amazonaws.com' % (word(), rnd(ALNUM, 26), reg)
    if k == 20:
        acct = R.choice([word() + word(), word() + rnd(string.digits, 3), 'st' + rnd(ALNUM, 13),
                         'cs2' + rnd(HEX, 16), word() + 'storage' + rnd(string.digits, 2)])[:24]
        return '%s.%s.core.windows.net' % (acct, R.choice(['blob', 'blob', 'file', 'queue', 'table', 'dfs']))
    if k == 21:
        return '%s%s.azurewebsites.net' % (R.choice([word() + '-' + word(), word() + '-api-prod', word() + '-app']),
                                           R.choice(['', '.scm']))
    if k == 22:
        return '%s.vault.azure.net' % (word() + '-kv-' + R.choice(['prod', 'dev', rnd(ALNUM, 5)]))
    if k == 23:
        return '%s%s.azurecr.io' % (word(), R.choice(['', 'registry', rnd(string.digits, 3)]))
    if k == 24:
        return '%s-dns-%s.hcp.%s.azmk8s.io' % (word() + '-aks', rnd(HEX, 8), R.choice(AZ_REGIONS))
    if k == 25:
        return '%s-%s.z01.azurefd.net' % (word(), rnd(ALNUM, 16))
    if k == 26:
        return '%s.servicebus.windows.net' % (word() + '-' + word() + '-sb')
    if k == 27:
        return '%s-%s-%s.a.run.app' % (word(), rnd(ALNUM, 10), R.choice(GCP_SUFFIX))
    if k == 28:
        return '%s.%s' % (word() + '-' + word() + R.choice(['', '-' + rnd(string.digits, 5)]),
                          R.choice(['appspot.com', 'web.app', 'firebaseapp.com']))
    if k == 29:
        return '%d.%d.%d.%d.bc.googleusercontent.com' % tuple(reversed(a))
    if k == 30:
        return 'r%d---sn-%s.googlevideo.com' % (R.randint(1, 8), rnd('abcdefghijklmnopqrstuvwxyz0123456789', 8))
    if k == 31:
        return 'rr%d---sn-%s%s.googlevideo.com' % (R.randint(1, 8), rnd(LOWER, 4), rnd(ALNUM, 4))
    if k == 32:
        return '%s%02ds%02d-in-%s%d.1e100.net' % (R.choice(AIRPORTS), R.randint(1, 99), R.randint(1, 99),
                                                R.choice('fx'), R.randint(1, 20))
    if k == 33:
        return 'e%d.%s.akamaiedge.net' % (R.randint(1, 99999), R.choice(['dscb', 'dscd', 'dsce', 'dscg', 'dspb', 'a', 'b', 'g', 'x']))
    if k == 34:
        return 'a%d.%s.akamai.net' % (R.randint(1, 1999), R.choice(['dscd', 'g', 'w', 'dsca', 'gi3']))
    if k == 35:
        return '%s.%s.edgekey.net' % (R.choice(SUBS), R.choice(POPULAR))
    if k == 36:
        return '%s.%s' % (R.choice(['dualstack.' + word(), word(), word() + '-' + word()]),
                          R.choice(['map.fastly.net', 'global.ssl.fastly.net', 'freetls.fastly.net']))
    if k == 37:
        return '%s.%s.workers.dev' % (word() + '-' + word(), word())
    if k == 38:
        return '%s.%s.pages.dev' % (rnd(HEX, 8), word() + '-' + word())
    if k == 39:
        return R.choice(['deploy-preview-%d--%s.netlify.app' % (R.randint(1, 999), word() + '-' + word()),
                         '%s--%s.netlify.app' % (rnd(HEX, 24), word() + '-' + word())])
    if k == 40:
        return R.choice(['%s-git-%s-%s.vercel.app' % (word(), R.choice(['main', 'dev', word()]), word()),
                         '%s-%s-%s.vercel.app' % (word(), rnd(ALNUM, 9), word())])
    if k == 41:
        return R.choice(['%s-%s-%d.herokuapp.com' % (word(0.3), word(0.3), R.randint(10000, 99999)),
                         '%s-%s.herokuapp.com' % (word() + '-' + word(), rnd(HEX, 12))])
    if k == 42:
        return 'scontent-%s%d-%d.xx.fbcdn.net' % (R.choice(AIRPORTS), R.randint(1, 9), R.randint(1, 3))
    if k == 43:
        return 'ipv%d-c%03d-%s%03d-ix.1.oca.nflxvideo.net' % (R.choice([4, 6]), R.randint(1, 300),
                                                              R.choice(AIRPORTS), R.randint(1, 9))
    if k == 44:
        return R.choice(['o%d.ingest.sentry.io' % R.randint(1000, 999999),
                         'o%d.ingest.us.sentry.io' % R.randint(1000, 999999),
                         'http-intake.logs.datadoghq.com', 'collector-%03d.newrelic.com' % R.randint(1, 999),
                         'api.segment.io', 'browser-intake-datadoghq.com'])
    return '%s.%s.cache.amazonaws.com' % (word() + '-cache.' + rnd(ALNUM, 6) + '.000' + str(R.randint(1, 3)),
                                          R.choice(['use1', 'usw2', 'euw1', 'apse1']))


def saas_name():
    """Tenant and project names of SaaS platforms: many carry a random id."""
    reg = R.choice(REGIONS)
    return R.choice([
        'dev-%s.okta.com' % rnd(string.digits, 8),
        '%s.okta.com' % (word() + '-' + word()),
        'dev-%s.us.auth0.com' % rnd(ALNUM, R.choice([8, 16])),
        '%s.%s.auth0.com' % (word() + '-' + word(), R.choice(['us', 'eu', 'au'])),
        '%s.supabase.co' % rnd(LOWER, 20),
        '%s.aws.found.io' % (rnd(HEX, 32) + '.' + reg),
        '%s.%s.gcp.cloud.es.io' % (rnd(HEX, 32), R.choice(['us-central1', 'europe-west1', 'asia-east1'])),
        'cluster0.%s.mongodb.net' % rnd(ALNUM, 5),
        'cluster0-shard-00-0%d.%s.mongodb.net' % (R.randint(0, 2), rnd(ALNUM, 5)),
        '%s%s.%s.snowflakecomputing.com' % (rnd(LOWER, 2), rnd(string.digits, 5), reg),
        'dbc-%s-%s.cloud.databricks.com' % (rnd(HEX, 8), rnd(HEX, 4)),
        'adb-%s.%d.azuredatabricks.net' % (rnd(string.digits, 16), R.randint(1, 19)),
        'pkc-%s.%s.aws.confluent.cloud' % (rnd(ALNUM, 5), reg),
        'redis-%d.c%d.%s-%d.ec2.cloud.redislabs.com' % (R.randint(10000, 19999), R.randint(1, 300), reg, R.randint(1, 3)),
        'prometheus-prod-%02d-prod-us-central-0.grafana.net' % R.randint(1, 40),
        'ep-%s-%s-%s.%s.aws.neon.tech' % (word(0.2), word(0.2), rnd(string.digits, 6), reg),
        '%s.fly.dev' % (word() + '-' + word()),
        '%s-%s.onrender.com' % (word() + '-' + word(), rnd(ALNUM, 4)),
        '%s-production-%s.up.railway.app' % (word(), rnd(HEX, 4)),
        '%s-dsn.algolia.net' % rnd(ALNUM, 10),
        '%s.myshopify.com' % (word() + '-' + word()),
        '%s--%s.sandbox.my.salesforce.com' % (word() + word(), R.choice(['dev', 'uat', 'qa', 'full'])),
        '%s.my.salesforce.com' % (word() + word()),
        '%s.zendesk.com' % (word() + word()),
        '%s.atlassian.net' % (word() + '-' + word()),
        '%s.slack.com' % (word() + '-' + word()),
        '%s.sharepoint.com' % (word() + word()),
        '%s-my.sharepoint.com' % (word() + word()),
        '%s-com.mail.protection.outlook.com' % (word() + word()),
        '%s.onmicrosoft.com' % (word() + word()),
        '%s.b2clogin.com' % (word() + word()),
        '%s-%s-%s-%s.ngrok-free.app' % (rnd(HEX, 4), R.randint(1, 255), R.randint(0, 255), R.randint(0, 255)),
        '%s.ngrok.io' % rnd(HEX, 8),
        '%s.app.link' % (word() + word()),
        '%s.page.link' % (word() + word()),
        '%s.onelink.me' % rnd(ALNUM, 4),
        '%s.imgix.net' % word(),
        'ws-%s.pusher.com' % R.choice(['mt1', 'us2', 'eu', 'ap1']),
        '%s.%s.amazoncognito.com' % (word() + '-' + word(), 'auth.' + reg),
        'cognito-idp.%s.amazonaws.com' % reg,
        '%s.cloudfunctions.net' % (R.choice(['us-central1', 'europe-west1']) + '-' + word() + '-' + word()),
        '%s.firebaseio.com' % (word() + '-' + word() + '-default-rtdb'),
        'usw1-%s-%d.upstash.io' % (word(0.2), R.randint(30000, 39999)),
        '%s.%s.hubspot.net' % (rnd(string.digits, 7), R.choice(['fs1', 'hs-sites'])),
        '%s.cdn.shopify.com' % rnd(ALNUM, 6),
        '%s.sentry.io' % word(),
        'o%d.ingest.sentry.io' % R.randint(1000, 4500000),
        '%s.launchdarkly.com' % R.choice(['clientstream', 'events', 'app', 'sdk']),
        '%s.%s.azurestaticapps.net' % (word() + '-' + word() + '-' + rnd(HEX, 9), R.randint(1, 5)),
        '%s.%s.cloudapp.azure.com' % (word() + '-' + rnd(ALNUM, 6), R.choice(AZ_REGIONS)),
        '%s.%s.azurecontainerapps.io' % (word() + '-app.' + word() + '-' + rnd(ALNUM, 8), R.choice(AZ_REGIONS)),
    ])


def vendor_name():
    return R.choice([
        'v10.events.data.microsoft.com', 'self.events.data.microsoft.com', 'settings-win.data.microsoft.com',
        'watson.telemetry.microsoft.com', 'login.microsoftonline.com', 'login.live.com', 'graph.microsoft.com',
        'outlook.office365.com', 'outlook.office.com', 'teams.microsoft.com', 'presence.teams.microsoft.com',
        'ctldl.windowsupdate.com', 'au.download.windowsupdate.com', 'fe2.update.microsoft.com',
        'geo-prod.do.dsp.mp.microsoft.com', 'kv601.prod.do.dsp.mp.microsoft.com',
        'wdcp.microsoft.com', 'smartscreen-prod.microsoft.com', 'nav.smartscreen.microsoft.com',
        'time.windows.com', 'dns.msftncsi.com', 'www.msftconnecttest.com', 'ipv6.msftconnecttest.com',
        'client.wns.windows.com', 'db5p.notify.windows.com', 'arc.msn.com', 'ris.api.iris.microsoft.com',
        'gs-loc.apple.com', 'gsp-ssl.ls.apple.com', 'mesu.apple.com', 'swscan.apple.com',
        'p%d-caldav.icloud.com' % R.randint(1, 180), 'p%d-contacts.icloud.com' % R.randint(1, 180),
        'is%d-ssl.mzstatic.com' % R.randint(1, 5), 'gateway.icloud.com', 'init.itunes.apple.com',
        'captive.apple.com', 'time.apple.com', 'configuration.apple.com', 'ocsp.apple.com',
        'connectivitycheck.gstatic.com', 'clients%d.google.com' % R.randint(1, 6), 'fonts.gstatic.com',
        'fonts.googleapis.com', 'www.googleapis.com', 'oauth2.googleapis.com', 'storage.googleapis.com',
        'safebrowsing.googleapis.com', 'update.googleapis.com', 'lh%d.googleusercontent.com' % R.randint(1, 6),
        'play.googleapis.com', 'android.clients.google.com', 'mtalk.google.com', 'dl.google.com',
        'r%d---sn-%s.gvt1.com' % (R.randint(1, 6), rnd(ALNUM, 8)), 'redirector.gvt1.com',
        'ocsp.digicert.com', 'crl3.digicert.com', 'crl4.digicert.com', 'ocsp.pki.goog', 'r3.o.lencr.org',
        'x1.c.lencr.org', 'ocsp.sectigo.com', 'ocsp.globalsign.com', 'ocsp.usertrust.com',
        'registry-1.docker.io', 'auth.docker.io', 'production.cloudflare.docker.com', 'ghcr.io',
        'pkg-containers.githubusercontent.com', 'objects.githubusercontent.com',
        'raw.githubusercontent.com', 'codeload.github.com', 'api.github.com', 'uploads.github.com',
        'deb.debian.org', 'security.debian.org', 'archive.ubuntu.com', 'security.ubuntu.com',
        'ports.ubuntu.com', 'packages.microsoft.com', 'dl-cdn.alpinelinux.org', 'mirror.centos.org',
        'pypi.org', 'files.pythonhosted.org', 'registry.npmjs.org', 'registry.yarnpkg.com',
        'proxy.golang.org', 'sum.golang.org', 'repo.maven.apache.org', 'repo1.maven.org',
        'plugins.gradle.org', 'rubygems.org', 'crates.io', 'static.crates.io', 'index.crates.io',
        'quay.io', 'cdn01.quay.io', 'gcr.io', 'k8s.gcr.io', 'registry.k8s.io', 'mcr.microsoft.com',
        'public.ecr.aws', '%d.pool.ntp.org' % R.randint(0, 3), '%d.debian.pool.ntp.org' % R.randint(0, 3),
        'ntp.ubuntu.com', 'time.google.com', 'time.cloudflare.com', 'one.one.one.one', 'dns.google',
        'scontent.xx.fbcdn.net', 'static.xx.fbcdn.net', 'graph.facebook.com', 'edge-mqtt.facebook.com',
        'pbs.twimg.com', 'abs.twimg.com', 'video.twimg.com', 'i.ytimg.com', 'yt3.ggpht.com',
        'ap-gew%d.spotify.com' % R.randint(1, 4), 'audio-ak-spotify-com.akamaized.net', 'i.scdn.co',
        'us%02dweb.zoom.us' % R.randint(1, 9), 'wss-primary.slack.com', 'edgeapi.slack.com',
        'cache%d-%s%d.steamcontent.com' % (R.randint(1, 9), R.choice(AIRPORTS), R.randint(1, 3)),
        'a-0001.a-afdentry.net.trafficmanager.net', 'l-0005.l-msedge.net', 'k-ring.msedge.net',
    ])


def k8s_name():
    ns = R.choice(['default', 'kube-system', 'prod', 'staging', 'monitoring', 'ingress-nginx', 'cert-manager',
                   'payments', 'web', 'data', word()])
    svc = R.choice([word(), word() + '-' + word(), word() + '-api', word() + '-svc', 'kube-dns', 'kubernetes',
                    'prometheus-server', 'grafana', 'redis-master', 'postgres-primary', 'kafka-headless'])
    k = R.randrange(8)
    if k == 0:
        return '%s.%s.svc.cluster.local' % (svc, ns)
    if k == 1:
        return '%s-%d.%s.%s.svc.cluster.local' % (svc, R.randint(0, 5), svc, ns)
    if k == 2:  # a Deployment's pod behind a headless service
        return '%s-%s-%s.%s.%s.svc.cluster.local' % (svc, rnd('bcdfghjklmnpqrstvwxz2456789', R.choice([9, 10])),
                                                    rnd('bcdfghjklmnpqrstvwxz2456789', 5), svc, ns)
    if k == 3:
        return '10-%d-%d-%d.%s.pod.cluster.local' % (R.randint(0, 255), R.randint(0, 255), R.randint(1, 254), ns)
    if k == 4:  # ndots:5 search-list expansion of an external name
        ext = '%s.%s' % (R.choice(SUBS), R.choice(POPULAR))
        return '%s.%s' % (ext, R.choice(['%s.svc.cluster.local' % ns, 'svc.cluster.local', 'cluster.local',
                                         'ec2.internal', '%s.compute.internal' % R.choice(REGIONS)]))
    if k == 5:
        return '%s.service.%s.consul' % (svc, R.choice(['dc1', 'dc2', 'us-east', 'eu']))
    if k == 6:
        return '%s.%s.svc' % (svc, ns)
    return '%s.%s' % (svc, ns)


def host_name():
    k = R.randrange(9)
    dom = R.choice(['corp.example.com', 'ad.contoso.com', 'lan', 'home', 'local', 'internal.example.com',
                    'fabrikam.local', 'office.acme-corp.com'])
    if k == 0:
        return 'android-%s.%s' % (rnd(HEX, 16), dom)
    if k == 1:
        return 'desktop-%s.%s' % (rnd(string.ascii_lowercase + string.digits, 7), dom)
    if k == 2:
        return 'laptop-%s.%s' % (rnd(string.ascii_lowercase + string.digits, 8), dom)
    if k == 3:
        return 'win-%s.%s' % (rnd(string.ascii_lowercase + string.digits, 11), dom)
    if k == 4:
        return '%s-%s.%s' % (R.choice(['iphone', 'ipad', 'macbook-pro', 'macbook-air', 'galaxy-s21', 'pixel-7']),
                             R.choice([word(0.2).capitalize().lower(), rnd(string.digits, 2), 'de-' + word(0.2)]), dom)
    if k == 5:
        return '%s%02d.%s' % (R.choice(['web', 'app', 'db', 'srv', 'node', 'worker', 'build', 'k8s-node']),
                              R.randint(1, 40), dom)
    if k == 6:
        return 'ip-%d-%d-%d-%d.%s' % (10, R.randint(0, 255), R.randint(0, 255), R.randint(1, 254), dom)
    if k == 7:  # Chrome's intranet-redirect probes: random single labels
        return rnd(LOWER, R.randint(7, 15))
    return R.choice(['localhost', 'wpad', 'db', 'redis', 'postgres', 'kafka', 'minio', 'isatap', 'router',
                     'printer', 'nas', 'fritz.box', 'speedport.ip', 'raspberrypi', 'gateway.docker.internal',
                     'host.docker.internal', 'metadata.google.internal', 'instance-data.ec2.internal'])


def reverse_name():
    if R.random() < 0.5:
        a = ip4()
        return '%d.%d.%d.%d.in-addr.arpa PTR' % tuple(reversed(a))
    nib = rnd(HEX, 32) if R.random() < 0.5 else '20010db8' + '0' * 12 + rnd(HEX, 12)
    return '.'.join(reversed(nib)) + '.ip6.arpa PTR'


def service_name():
    dom = R.choice(POPULAR)
    k = R.randrange(12)
    if k == 0:
        return '_dmarc.%s TXT' % dom
    if k == 1:
        return '%s._domainkey.%s TXT' % (R.choice(['selector1', 'selector2', 'google', 'k1', 's1', 's2', 'default',
                                                  'mail', 'dkim', 'mandrill', 'smtpapi', 'pm', 'fm1',
                                                  '%d' % R.randint(2018, 2024) + '%02d' % R.randint(1, 12)]), dom)
    if k == 2:  # Amazon SES DKIM: random-looking selectors
        return '%s._domainkey.%s CNAME' % (rnd('abcdefghijklmnopqrstuvwxyz234567', 32), dom)
    if k == 3:
        return '_acme-challenge.%s%s TXT' % (R.choice(['', 'www.', 'api.']), dom)
    if k == 4:  # AWS certificate validation records
        return '_%s.%s%s CNAME' % (rnd(HEX, 32), R.choice(['', 'www.', 'api.']), dom)
    if k == 5:
        return '_%s._%s.%s SRV' % (R.choice(['ldap', 'kerberos', 'sip', 'xmpp-client', 'xmpp-server', 'imaps',
                                              'submission', 'caldavs', 'autodiscover', 'minecraft', 'gc', 'kpasswd']),
                                    R.choice(['tcp', 'udp', 'tls']), dom)
    if k == 6:
        return '_ldap._tcp.%s._sites.dc._msdcs.%s SRV' % (R.choice(['default-first-site-name', 'hq', 'branch1']),
                                                          R.choice(['ad.contoso.com', 'corp.example.com']))
    if k == 7:
        return '%s._msdcs.%s CNAME' % (guid(), R.choice(['ad.contoso.com', 'corp.example.com']))
    if k == 8:
        return R.choice(['_mta-sts.%s TXT', '_smtp._tls.%s TXT', '_443._tcp.%s TLSA', '_25._tcp.mail.%s TLSA',
                         '_github-challenge-%s.%%s TXT' % word(), 'default._bimi.%s TXT',
                         '_spf.%s TXT', '_amazonses.%s TXT']) % dom
    if k == 9:
        return '%s TXT' % dom
    if k == 10:
        return R.choice(['_spf.google.com TXT', '_netblocks.google.com TXT', 'spf.protection.outlook.com TXT',
                         'o-o.myaddr.l.google.com TXT', 'whoami.akamai.net TXT', '_cloud-netblocks.googleusercontent.com TXT',
                         'servers.mcsv.net TXT', 'spf.mandrillapp.com TXT', 'sendgrid.net TXT'])
    return '%s MX' % dom


def readable_name():
    """Long but readable names: words, numbers, hyphens."""
    labels = []
    for _ in range(R.randint(1, 4)):
        parts = [word(0.5) for _ in range(R.randint(1, 5))]
        if R.random() < 0.2:
            parts.append(str(R.randint(1, 2025)))
        labels.append('-'.join(parts)[:63])
    return '%s.%s' % ('.'.join(labels), R.choice(POPULAR))


def popular_name():
    dom = R.choice(POPULAR)
    k = R.random()
    if k < 0.15:
        return dom
    if k < 0.7:
        return '%s.%s' % (R.choice(SUBS), dom)
    if k < 0.9:
        return '%s.%s.%s' % (R.choice(SUBS), R.choice(SUBS + REGIONS + ['eu', 'us', 'uk', 'de', 'prod', 'int']), dom)
    return '%s.%s.%s.%s' % (R.choice(SUBS), R.choice(SUBS), R.choice(['eu', 'us', 'prod', 'internal']), dom)


def qt_for_plain():
    # what stub resolvers ask for a host name; CNAME from diagnostic and
    # certificate tools now and then. MX and TXT go to domains and service
    # names (service_name()), not to hosts.
    return R.choices([' A', ' AAAA', ' HTTPS', ' CNAME'], [72, 22, 5, 1])[0]


def benign():
    out = []
    gens = [(popular_name, 1300), (cloud_name, 1400), (vendor_name, 350), (saas_name, 400), (k8s_name, 450),
            (host_name, 250), (reverse_name, 200), (service_name, 300), (readable_name, 250)]
    for fn, n in gens:
        out.append('# ' + fn.__name__.replace('_name', ''))
        for _ in range(n):
            name = fn()
            if ' ' not in name:
                name += qt_for_plain()
            out.append(name)
    return out


# ---------------------------------------------------------------- borderline

def borderline():
    """Data carried in names on purpose by legitimate services (reputation and
    blocklist lookups, content addresses): the heuristic is right to call
    them tunnel-like; a policy allows the zones. Reported, not asserted."""
    out = ['# reputation']
    for _ in range(40):
        out.append('%s.malware.hash.cymru.com TXT' % rnd(HEX, 32))
        out.append('%s.dbl.spamhaus.org' % R.choice(POPULAR))
        out.append('%d.%d.%d.%d.zen.spamhaus.org' % tuple(ip4()))
        out.append('%s.hashbl.spamhaus.org' % base64.b32encode(R.randbytes(32)).decode().lower().rstrip('='))
        out.append('0.0.0.0.1.0.0.4e.%s.avqs.mcafee.com' % rnd(ALNUM, 26))
        out.append('%s.%s.sophosxl.net' % (rnd(HEX, 32), R.choice(['v3', 'v2.sxl', 'f.01.s'])))
        out.append('%s.ipfs.dweb.link' % ('bafybei' + rnd('abcdefghijklmnopqrstuvwxyz234567', 52)))
        out.append('%s.multi.surbl.org' % rnd(HEX, 32))
    return out


# ---------------------------------------------------------------- tunnels

TUN_DOMAINS = """t.tunnel-example.com t1.example.net x.example.org ns1.evil-example.com d.exfil.example.net
tun.example.co.uk c2.example.com.au a.b.example.info cdn-static-assets.example updates-check.example
z.example io.example.io dnstest.example.net r.example.xyz""".split()


def b32(data):
    return base64.b32encode(data).decode().lower().rstrip('=')


def b64(data, url=False):
    s = (base64.urlsafe_b64encode(data) if url else base64.b64encode(data)).decode()
    return s.lower().rstrip('=') if R.random() < 0.7 else s.lower()


def dotify(s, every):
    return '.'.join(s[i:i + every] for i in range(0, len(s), every))


def text_bytes(n):
    ws = []
    while sum(len(w) + 1 for w in ws) < n:
        ws.append(word(0.5))
    return ' '.join(ws)[:n].encode()


def payload(n):
    return R.randbytes(n) if R.random() < 0.7 else text_bytes(n)


def room(dom, prefix=''):
    return 253 - len(dom) - 1 - len(prefix)


def fit(enc_len, dom, every, prefix=''):
    """Largest encoded length (<= enc_len) that still fits with dots."""
    r = room(dom, prefix)
    while enc_len + (enc_len - 1) // every > r:
        enc_len -= 1
    return max(enc_len, 1)


def iodine():
    dom = R.choice(TUN_DOMAINS)
    k = R.random()
    uid = R.choice(HEX)
    if k < 0.07:  # ping / poll
        return 'p%s%s.%s %s' % (uid, rnd('abcdefghijklmnopqrstuvwxyz012345', R.randint(6, 10)), dom,
                                R.choice(['NULL', 'NULL', 'TXT', 'CNAME']))
    if k < 0.12:  # downstream codec / fragment-size probes
        return '%s%s.%s NULL' % (R.choice('yrn'), rnd('abcdefghijklmnopqrstuvwxyz012345', R.randint(20, 50)), dom)
    enc = R.choice(['b32', 'b32', 'b64', 'b128'])
    n = R.randint(20, 200)
    if enc == 'b128':  # bytes 0xbc-0xfd too; the parser prints those as \DDD
        alpha = [c for c in 'abcdefghijklmnopqrstuvwxyz0123456789'] + ['\\%03d' % b for b in range(0xbc, 0xfe)]
        sym = [R.choice(alpha) for _ in range(n)]
        toks = [uid] + sym
        labels, cur, curlen = [], '', 0
        for t in toks:
            if curlen == 57:
                labels.append(cur)
                cur, curlen = '', 0
            cur += t
            curlen += 1
        labels.append(cur)
        name = '.'.join(labels)
        while len(name) + len(dom) + 1 > 1000:
            name = name[:-1]
        return '%s.%s %s' % (name, dom, R.choice(['NULL', 'NULL', 'TXT', 'MX', 'CNAME']))
    data = R.randbytes(n)
    if enc == 'b32':
        s = uid + rnd('abcdefghijklmnopqrstuvwxyz012345', 3) + b32(data).replace('6', '0').replace('7', '1')
    else:
        s = uid + rnd(ALNUM, 3) + base64.b64encode(data).decode().replace('+', '-').replace('/', '_').rstrip('=').lower()
    s = s[:fit(len(s), dom, 57)]
    return '%s.%s %s' % (dotify(s, 57), dom, R.choice(['NULL', 'NULL', 'NULL', 'TXT', 'CNAME', 'MX', 'A']))


def dnscat2():
    direct = R.random() < 0.3
    dom = 'dnscat' if direct else R.choice(TUN_DOMAINS)
    n = R.choice([0, 0, R.randint(1, 20), R.randint(20, 110), R.randint(20, 110), R.randint(60, 110)])
    pkt = R.randbytes(9) + R.randbytes(n)
    h = pkt.hex()
    if direct:
        h = h[:fit(len(h), 'x' * 7, 63)]
        return 'dnscat.%s %s' % (dotify(h, 63), R.choice(['TXT', 'CNAME', 'MX']))
    h = h[:fit(len(h), dom, 63)]
    return '%s.%s %s' % (dotify(h, 63), dom, R.choice(['TXT', 'CNAME', 'MX']))


def dns2tcp():
    dom = R.choice(TUN_DOMAINS)
    data = payload(R.randint(16, 160))
    s = base64.b64encode(data).decode().lower()
    s = s[:fit(len(s), dom, 63)]
    return '%s.%s %s' % (dotify(s, 63), dom, R.choice(['TXT', 'TXT', 'KEY']))


def dnsexfiltrator():
    dom = R.choice(TUN_DOMAINS)
    if R.random() < 0.15:
        fname = '%s.%s|%d' % (word(), R.choice(['txt', 'zip', 'docx', 'pdf', 'db']), R.randint(3, 900))
        return 'init.%s.base32.%s TXT' % (b32(fname.encode()), dom)
    url = R.random() < 0.6
    s = (base64.urlsafe_b64encode(payload(R.randint(20, 180))).decode().rstrip('=').lower() if url
         else b32(payload(R.randint(20, 150))))
    chunk = str(R.randint(0, 900))
    s = s[:fit(len(s), dom, 63, chunk + '.')]
    return '%s.%s.%s TXT' % (chunk, dotify(s, 63), dom)


def cobalt():
    dom = R.choice(TUN_DOMAINS)
    bid = rnd(HEX, 8)
    pre = R.choice(['api', 'post', 'post', 'cdn', 'www6'])
    h = R.randbytes(R.randint(8, 60)).hex()
    h = h[:fit(len(h), dom, R.choice([56, 62]), pre + '.' + bid + '.' + '12345678.')]
    parts = [pre, dotify(h, R.choice([56, 62])), rnd(HEX, 8), bid, dom]
    return '%s %s' % ('.'.join(parts), {'www6': 'AAAA', 'cdn': 'TXT'}.get(pre, 'A'))


def generic():
    dom = R.choice(TUN_DOMAINS)
    enc = R.choice(['b32', 'b64u', 'b64', 'hex'])
    target = R.randint(20, 250 - len(dom) - 1)
    data = payload(max(4, target))
    s = {'b32': lambda: b32(data), 'b64u': lambda: b64(data, True), 'b64': lambda: b64(data),
         'hex': lambda: data.hex()}[enc]()
    s = s[:target]
    every = R.choice([63, 63, 60, 50, 40, 32])
    s = s[:fit(len(s), dom, every)]
    return '%s.%s %s' % (dotify(s, every), dom, R.choice(['A', 'A', 'A', 'AAAA', 'TXT', 'TXT', 'CNAME', 'MX', 'NULL']))


def tunnels():
    out = []
    for fn, n in [(iodine, 350), (dnscat2, 300), (dns2tcp, 200), (dnsexfiltrator, 200), (cobalt, 150),
                  (generic, 400)]:
        out.append('# ' + fn.__name__)
        for _ in range(n):
            out.append(fn())
    return out


def write(name, lines, header):
    seen, uniq = set(), []
    for ln in lines:
        if ' ' not in ln:
            ln += ' A'
        if ln.startswith('#') or ln not in seen:
            seen.add(ln)
            uniq.append(ln)
    with open(os.path.join(OUT, name), 'w') as f:
        for ln in uniq:
            f.write(ln + '\n')
    print('%s: %d names (%s)' % (name, sum(1 for u in uniq if not u.startswith('#')), header))


def bigram_table():
    """The C table of English letter pairs in dpi/dpi_dnstun.c: bit b of
    row a is set when "ab" occurs more than 20 times in the word list."""
    import collections
    with open('/usr/share/dict/words', encoding='utf-8', errors='ignore') as f:
        ws = [w.strip() for w in f]
    ws = [w for w in ws if w.isascii() and w.isalpha() and w.islower()]
    c = collections.Counter(a + b for w in ws for a, b in zip(w, w[1:]))
    print('static const uint32_t english_pairs[26] = {')
    for a in LOWER:
        m = sum(1 << i for i, b in enumerate(LOWER) if c[a + b] > 20)
        print('\t0x%07x, /* %s */' % (m, a))
    print('};')


if __name__ == '__main__':
    import sys
    args = sys.argv[1:]
    if args == ['--bigrams']:
        bigram_table()
        sys.exit(0)
    # --seed N --out DIR: a fresh sample elsewhere, to check the weights
    # against names they were not tuned on (the committed lists use SEED)
    while args:
        if args[0] == '--seed' and len(args) > 1:
            R.seed(int(args[1]))
        elif args[0] == '--out' and len(args) > 1:
            OUT = args[1]
        else:
            sys.exit('usage: gen.py [--seed N] [--out DIR] | --bigrams')
        args = args[2:]
    write('benign.txt', benign(), 'benign')
    write('tunnel.txt', tunnels(), 'tunnel')
    write('borderline.txt', borderline(), 'borderline')
