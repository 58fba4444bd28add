"""Tests for k8slite/apiserver/protobuf.py: request bodies that the real kubectl sends as protobuf.

The byte strings below were captured on the wire from kubectl 1.33.1 (every kubectl from 1.32
sends its typed clients' bodies as ``application/vnd.kubernetes.protobuf``) against
``k8slite.serve.Server``. Every object a ``kubectl create`` generator (and ``autoscale``)
sends decodes to exactly what ``kubectl create ... --dry-run=client -o json`` prints for the
same command, less its null ``creationTimestamp``; the DEBUG_NODE pods, which have no dry run,
decode to exactly the JSON body kubectl 1.31 (the last to send JSON) sends for the same command.
NAMESPACE_FULL_METADATA and DELETE_OPTIONS_EVERY_FIELD, which kubectl
never sends, were encoded by the generated code of Kubernetes' own ``generated.proto``
(meta/v1, core/v1, runtime) as packaged in ``k8s-proto``.
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import shlex
import ssl
import subprocess

import pytest
import yaml

from k8slite.apiserver import protobuf
from k8slite.serve import Server

from realpeers import kubectl_path, require

# -- captured from kubectl 1.33.1 ----------------------------------------------------
# kubectl create namespace shop
CREATE_NAMESPACE = bytes.fromhex(
    "6b3873000a0f0a02763112094e616d657370616365121c0a140a0473686f7012001a0022002a0032003800420012001a020a001a"
    "002200")
# kubectl create deployment web --image=nginx:1.25 --port=80 --replicas=3 -n shop
CREATE_DEPLOYMENT = bytes.fromhex(
    "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c1010a230a0377656212001a0473686f7022002a00320038"
    "0042005a0a0a036170701203776562128b010803120c0a0a0a0361707012037765621a710a1c0a0012001a0022002a0032003800"
    "42005a0a0a036170701203776562125112330a056e67696e78120a6e67696e783a312e32352a00320a0a001000185022002a0042"
    "006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038"
    "001a0c0800100018002000280038001a002200")
# kubectl create deployment sleeper --image=busybox --replicas=0 -n shop -- sleep 3600
CREATE_DEPLOYMENT_COMMAND = bytes.fromhex(
    "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412d1010a2b0a07736c656570657212001a0473686f7022002a"
    "003200380042005a0e0a036170701207736c6565706572129301080012100a0e0a036170701207736c65657065721a750a200a00"
    "12001a0022002a003200380042005a0e0a036170701207736c6565706572125112330a0762757379626f78120762757379626f78"
    "1a05736c6565701a04333630302a0042006a007200800100880100900100a201001a00320042004a005200580060006800820100"
    "8a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200")
# kubectl auth can-i create pods
CAN_I_CREATE_PODS = bytes.fromhex(
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a6563744163636573735265"
    "76696577123f0a100a0012001a0022002a0032003800420012210a1f0a0764656661756c7412066372656174651a0022002a0470"
    "6f647332003a001a08080012001a0020001a002200")
# kubectl auth can-i create deployments.apps --subresource=scale -n shop
CAN_I_SCALE_DEPLOYMENTS = bytes.fromhex(
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a6563744163636573735265"
    "76696577124c0a100a0012001a0022002a00320038004200122e0a2c0a0473686f7012066372656174651a046170707322002a0b"
    "6465706c6f796d656e747332057363616c653a001a08080012001a0020001a002200")
# kubectl auth can-i get /healthz
CAN_I_GET_HEALTHZ = bytes.fromhex(
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a6563744163636573735265"
    "76696577122f0a100a0012001a0022002a003200380042001211120f0a082f6865616c74687a12036765741a08080012001a0020"
    "001a002200")
# kubectl auth can-i list secrets --all-namespaces
CAN_I_LIST_SECRETS_EVERYWHERE = bytes.fromhex(
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a6563744163636573735265"
    "7669657712390a100a0012001a0022002a00320038004200121b0a190a0012046c6973741a0022002a077365637265747332003a"
    "001a08080012001a0020001a002200")
# kubectl auth can-i --list -n shop
CAN_I_LIST = bytes.fromhex(
    "6b3873000a310a17617574686f72697a6174696f6e2e6b38732e696f2f7631121653656c665375626a65637452756c6573526576"
    "69657712200a100a0012001a0022002a0032003800420012060a0473686f701a04180022001a002200")
# kubectl auth whoami
WHOAMI = bytes.fromhex(
    "6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a65637452657669657712"
    "1a0a100a0012001a0022002a0032003800420012060a040a0012001a002200")
# kubectl create token default
CREATE_TOKEN = bytes.fromhex(
    "6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374121a0a100a00"
    "12001a0022002a0032003800420012001a040a0012001a002200")
# kubectl create token default --audience=vault --duration=10m --bound-object-kind=Pod \
#     --bound-object-name=web-0 --bound-object-uid=7f3c
CREATE_TOKEN_BOUND = bytes.fromhex(
    "6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374123c0a100a00"
    "12001a0022002a0032003800420012220a057661756c741a160a03506f64120276311a057765622d3022043766336320d8041a04"
    "0a0012001a002200")
# kubectl drain node-1 --ignore-daemonsets --force --disable-eviction --grace-period=5 (DELETE of each pod)
DRAIN_DELETE_OPTIONS = bytes.fromhex(
    "6b3873000a130a027631120d44656c6574654f7074696f6e73120208051a002200")
# kubectl create configmap settings --from-literal=colour=blue -n shop
CREATE_CONFIGMAP = bytes.fromhex(
    "6b3873000a0f0a0276311209436f6e6669674d6170122e0a1c0a0873657474696e677312001a0473686f7022002a003200380042"
    "00120e0a06636f6c6f75721204626c75651a002200")

# kubectl create configmap files --from-file=greeting.txt --from-file=logo.bin -n shop
CREATE_CONFIGMAP_FROM_FILES = bytes.fromhex(
    "6b3873000a0f0a0276311209436f6e6669674d617012450a190a0566696c657312001a0473686f7022002a003200380042001216"
    "0a0c6772656574696e672e747874120668656c6c6f0a1a100a086c6f676f2e62696e1204000102ff1a002200")
# kubectl create secret generic creds --from-literal=user=admin -n shop
CREATE_SECRET = bytes.fromhex(
    "6b3873000a0c0a0276311206536563726574122c0a190a05637265647312001a0473686f7022002a00320038004200120d0a0475"
    "736572120561646d696e1a001a002200")
# kubectl create secret docker-registry regcred --docker-server=registry.example.com \
#     --docker-username=jane --docker-password=s3cret -n shop
CREATE_SECRET_DOCKER_REGISTRY = bytes.fromhex(
    "6b3873000a0c0a027631120653656372657412b8010a1b0a077265676372656412001a0473686f7022002a003200380042001279"
    "0a112e646f636b6572636f6e6669676a736f6e12647b226175746873223a7b2272656769737472792e6578616d706c652e636f6d"
    "223a7b22757365726e616d65223a226a616e65222c2270617373776f7264223a22733363726574222c2261757468223a22616d46"
    "755a54707a4d324e795a58513d227d7d7d1a1e6b756265726e657465732e696f2f646f636b6572636f6e6669676a736f6e1a0022"
    "00")
# kubectl create serviceaccount robot -n shop
CREATE_SERVICEACCOUNT = bytes.fromhex(
    "6b3873000a140a027631120e536572766963654163636f756e74121b0a190a05726f626f7412001a0473686f7022002a00320038"
    "0042001a002200")
# kubectl create job once --image=busybox -n shop -- echo hi
CREATE_JOB = bytes.fromhex(
    "6b3873000a0f0a0862617463682f763112034a6f62128c010a180a046f6e636512001a0473686f7022002a003200380042001266"
    "32640a100a0012001a0022002a003200380042001250122d0a046f6e6365120762757379626f781a046563686f1a0268692a0042"
    "006a007200800100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a08"
    "2000280030003a001a002200")
# kubectl create cronjob tick --image=busybox --schedule="*/5 * * * *" -n shop
CREATE_CRONJOB = bytes.fromhex(
    "6b3873000a130a0862617463682f7631120743726f6e4a6f6212a8010a180a047469636b12001a0473686f7022002a0032003800"
    "42001289010a0b2a2f35202a202a202a202a1a002a780a140a047469636b12001a0022002a003200380042001260325e0a100a00"
    "12001a0022002a00320038004200124a12230a047469636b120762757379626f782a0042006a007200800100880100900100a201"
    "001a094f6e4661696c757265320042004a0052005800600068008201008a01009a0100c201001a001a002200")
# kubectl create job manual --from=cronjob/tick -n shop (the CronJob as CREATE_CRONJOB made it, defaulted)
CREATE_JOB_FROM_CRONJOB = bytes.fromhex(
    "6b3873000a0f0a0862617463682f763112034a6f6212e4020a8a010a066d616e75616c12001a0473686f7022002a003200380042"
    "00622b0a2163726f6e6a6f622e6b756265726e657465732e696f2f696e7374616e746961746512066d616e75616c6a410a074372"
    "6f6e4a6f621a047469636b222461376635313935632d646536322d343433662d613631392d3038623963636637313961622a0862"
    "617463682f7631300112ca0108011001329e010a100a0012001a0022002a0032003800420012890112410a047469636b12076275"
    "7379626f782a0042006a142f6465762f7465726d696e6174696f6e2d6c6f677206416c77617973800100880100900100a2010446"
    "696c651a094f6e4661696c757265201e320c436c7573746572466972737442004a00520058006000680072008201008a01009a01"
    "1164656661756c742d7363686564756c6572c2010038064a0a4e6f6e496e6465786564500072135465726d696e6174696e674f72"
    "4661696c65641a082000280030003a001a002200")
# kubectl create service clusterip web --tcp=80:8080 -n shop
CREATE_SERVICE_CLUSTERIP = bytes.fromhex(
    "6b3873000a0d0a027631120753657276696365126d0a230a0377656212001a0473686f7022002a003200380042005a0a0a036170"
    "70120377656212420a1b0a0738302d38303830120354435018502207080010903f1a002800120a0a0361707012037765621a0022"
    "09436c757374657249503a00420052005a00600068001a020a001a002200")
# kubectl create service nodeport np --tcp=80:8080 --node-port=30080 -n shop
CREATE_SERVICE_NODEPORT = bytes.fromhex(
    "6b3873000a0d0a027631120753657276696365126b0a210a026e7012001a0473686f7022002a003200380042005a090a03617070"
    "12026e7012420a1d0a0738302d38303830120354435018502207080010903f1a002880eb0112090a0361707012026e701a002208"
    "4e6f6465506f72743a00420052005a00600068001a020a001a002200")
# kubectl create service externalname ext --external-name=example.com -n shop
CREATE_SERVICE_EXTERNALNAME = bytes.fromhex(
    "6b3873000a0d0a027631120753657276696365125e0a230a0365787412001a0473686f7022002a003200380042005a0a0a036170"
    "7012036578741233120a0a0361707012036578741a00220c45787465726e616c4e616d653a004200520b6578616d706c652e636f"
    "6d5a00600068001a020a001a002200")
# kubectl create role reader --verb=get,list --resource=pods,deployments.apps --resource-name=web -n shop
CREATE_ROLE = bytes.fromhex(
    "6b3873000a240a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311204526f6c65125b0a1a0a0672656164"
    "657212001a0473686f7022002a0032003800420012180a036765740a046c69737412001a04706f6473220377656212230a036765"
    "740a046c6973741204617070731a0b6465706c6f796d656e747322037765621a002200")
# kubectl create clusterrole agg --aggregation-rule=rbac.example.com/aggregate=true
CREATE_CLUSTERROLE_AGGREGATED = bytes.fromhex(
    "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c7573746572526f6c65123d0a"
    "130a0361676712001a0022002a003200380042001a260a240a220a1a726261632e6578616d706c652e636f6d2f61676772656761"
    "74651204747275651a002200")
# kubectl create rolebinding view-b --clusterrole=view --user=bob --group=devs --serviceaccount=shop:robot -n shop
CREATE_ROLEBINDING = bytes.fromhex(
    "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e6712c301"
    "0a1a0a06766965772d6212001a0473686f7022002a0032003800420012280a04557365721219726261632e617574686f72697a61"
    "74696f6e2e6b38732e696f1a03626f622200122a0a0547726f75701219726261632e617574686f72697a6174696f6e2e6b38732e"
    "696f1a04646576732200121f0a0e536572766963654163636f756e7412001a05726f626f74220473686f701a2e0a19726261632e"
    "617574686f72697a6174696f6e2e6b38732e696f120b436c7573746572526f6c651a04766965771a002200")
# kubectl create quota compute --hard=pods=4,requests.cpu=2,limits.memory=2Gi -n shop
CREATE_QUOTA = bytes.fromhex(
    "6b3873000a130a027631120d5265736f7572636551756f7461125b0a1b0a07636f6d7075746512001a0473686f7022002a003200"
    "38004200123a0a160a0d6c696d6974732e6d656d6f727912050a033247690a0b0a04706f647312030a01340a130a0c7265717565"
    "7374732e63707512030a01321a001a002200")
# kubectl create pdb web --selector=app=web --min-available=1 -n shop
CREATE_PDB_MIN_AVAILABLE = bytes.fromhex(
    "6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e427564676574123d0a170a0377656212001a0473"
    "686f7022002a0032003800420012160a06080010011a00120c0a0a0a0361707012037765621a0a080018002000280030001a0022"
    "00")
# kubectl create pdb api --selector=app=api --max-unavailable=50% -n shop
CREATE_PDB_MAX_UNAVAILABLE = bytes.fromhex(
    "6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e42756467657412400a170a0361706912001a0473"
    "686f7022002a003200380042001219120c0a0a0a0361707012036170691a09080110001a033530251a0a08001800200028003000"
    "1a002200")
# kubectl create priorityclass batch --value=0 --global-default=true --preemption-policy=Never \
#     --description="runs last"
CREATE_PRIORITYCLASS = bytes.fromhex(
    "6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c617373122d0a150a05626174"
    "636812001a0022002a0032003800420010001801220972756e73206c6173742a054e657665721a002200")
# kubectl create ingress shop --class=nginx --rule="shop.example.com/*=web:http,tls=shop-tls" \
#     --rule="shop.example.com/api=api:8080" --default-backend=web:80 -n shop
CREATE_INGRESS = bytes.fromhex(
    "6b3873000a1f0a146e6574776f726b696e672e6b38732e696f2f76311207496e677265737312ac010a180a0473686f7012001a04"
    "73686f7022002a00320038004200128b010a0d220b0a0377656212040a001050121c0a1073686f702e6578616d706c652e636f6d"
    "120873686f702d746c731a550a1073686f702e6578616d706c652e636f6d12410a3f0a1e0a012f1211220f0a0377656212080a04"
    "6874747010001a065072656669780a1d0a042f617069120e220c0a0361706912050a0010903f1a05457861637422056e67696e78"
    "1a020a001a002200")
# kubectl autoscale deployment api --min=2 --max=5 --cpu-percent=80 -n shop (autoscaling/v2 first)
AUTOSCALE = bytes.fromhex(
    "6b3873000a290a0e6175746f7363616c696e672f76321217486f72697a6f6e74616c506f644175746f7363616c657212610a130a"
    "0361706912001a0022002a0032003800420012440a1a0a0a4465706c6f796d656e7412036170691a07617070732f763110021805"
    "22220a085265736f7572636522160a03637075120f0a0b5574696c697a6174696f6e20501a04180020001a002200")
# kubectl debug node/node-1 --image=busybox -n shop -- true (the legacy profile, 1.33's default)
DEBUG_NODE = bytes.fromhex(
    "6b3873000a090a0276311203506f6412dd010a2a0a1a6e6f64652d64656275676765722d6e6f64652d312d716e6c347812001a00"
    "22002a003200380042001299010a120a09686f73742d726f6f7412050a030a012f124b0a08646562756767657212076275737962"
    "6f781a04747275652a0042004a180a09686f73742d726f6f7410001a052f686f7374220032006a007200800100880100900100a2"
    "010446696c651a054e65766572320042004a0052066e6f64652d315801600168018201008a01009a0100b2010e0a001206457869"
    "7374731a002200c201001a130a001a0022002a0032004a005a0072008801001a002200")
# kubectl debug node/node-1 --image=busybox --profile=restricted -n shop -- true
DEBUG_NODE_RESTRICTED = bytes.fromhex(
    "6b3873000a090a0276311203506f6412ce010a2a0a1a6e6f64652d64656275676765722d6e6f64652d312d6472346a6312001a00"
    "22002a00320038004200128a0112500a086465627567676572120762757379626f781a04747275652a0042006a0072007a1d0a05"
    "1203414c4c280138005a100a0e52756e74696d6544656661756c74800100880100900100a2010446696c651a054e657665723200"
    "42004a0052066e6f64652d315800600068008201008a01009a0100b2010e0a0012064578697374731a002200c201001a130a001a"
    "0022002a0032004a005a0072008801001a002200")
# the same, when the server refused autoscaling/v2: kubectl retries in autoscaling/v1 (a kind protobuf.py does not know)
AUTOSCALE_V1 = bytes.fromhex(
    "6b3873000a290a0e6175746f7363616c696e672f76311217486f72697a6f6e74616c506f644175746f7363616c6572123f0a130a"
    "0361706912001a0022002a0032003800420012220a1a0a0a4465706c6f796d656e7412036170691a07617070732f763110011803"
    "20321a04180020001a002200")

# -- encoded by Kubernetes' generated protobuf code (k8s-proto) ---------------------
NAMESPACE_FULL_METADATA = bytes.fromhex(
    "6b3873000a0f0a02763112094e616d65737061636512ba010a9a010a0473686f702a043562316532023432380342060880e2cfaa"
    "064a06089ee2cfaa0650005a0d0a047465616d120573616c6573620a0a046e6f7465120268696a200a09436f6e6669674d61701a"
    "056f776e65722204633066662a0276313001380072106578616d706c652e636f6d2f686f6c648a01240a0e6b75626563746c2d63"
    "726561746512065570646174651a02763122060880e2cfaa06120c0a0a6b756265726e657465731a0d0a0b5465726d696e617469"
    "6e67")
DELETE_OPTIONS_EVERY_FIELD = bytes.fromhex(
    "6b3873000a130a027631120d44656c6574654f7074696f6e73121d080012060a04356231651800220a466f726567726f756e642a"
    "03416c6c")
# a core/v1 Container alone (not a kind): wrapped into a Deployment's template by the test
CONTAINER_FIELDS = bytes.fromhex(
    "0a03776562120a6e67696e783a312e323522022d67220b6461656d6f6e206f66663b2a042f737276320e0a046874747018903f22"
    "035443503a0c0a044d4f4445120470726f6442210a0d0a0363707512060a043530306d12100a066d656d6f727912060a0436344d"
    "69720c49664e6f7450726573656e74900101")


def field(number: int, payload, wire: int = 2) -> bytes:
    """One protobuf field: a length-delimited payload (bytes or str) or, with wire=0, a varint."""
    def varint(n: int) -> bytes:
        out = b""
        while True:
            out += bytes([n & 0x7F | (0x80 if n > 0x7F else 0)])
            n >>= 7
            if not n:
                return out
    if wire == 0:
        return varint(number << 3) + varint(payload)
    data = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(data)) + data


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    """k8s\\x00 + runtime.Unknown{typeMeta{apiVersion, kind}, raw}."""
    return protobuf.MAGIC + field(1, field(1, api_version) + field(2, kind)) + field(2, raw)


# the .dockerconfigjson that create secret docker-registry builds for registry.example.com, jane, s3cret
DOCKER_CONFIG = base64.b64encode(
    b'{"auths":{"registry.example.com":{"username":"jane","password":"s3cret","auth":"amFuZTpzM2NyZXQ="}}}').decode()
SSAR = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "metadata": {}, "status": {}}
TEMPLATE_META = {"labels": {"app": "web"}}

DECODED = [
    pytest.param(CREATE_NAMESPACE, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"},
                                    "spec": {}, "status": {}},
                 id="create namespace: the name, and the empty spec and status Go always sends"),
    pytest.param(CREATE_DEPLOYMENT, {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": TEMPLATE_META, "spec": {"containers": [
                     {"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}], "resources": {}}]}},
                 "strategy": {}},
        "status": {}},
        id="create deployment: replicas, selector, template, container image and port"),
    pytest.param(CREATE_DEPLOYMENT_COMMAND, {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "sleeper", "namespace": "shop", "labels": {"app": "sleeper"}},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "sleeper"}},
                 "template": {"metadata": {"labels": {"app": "sleeper"}}, "spec": {"containers": [
                     {"name": "busybox", "image": "busybox", "command": ["sleep", "3600"], "resources": {}}]}},
                 "strategy": {}},
        "status": {}},
        id="replicas is a pointer, so an explicit 0 survives while by-value zeros are dropped"),
    pytest.param(CAN_I_CREATE_PODS, {**SSAR, "spec": {"resourceAttributes": {
        "namespace": "default", "verb": "create", "resource": "pods"}}},
        id="auth can-i create pods asks in the kubeconfig's namespace"),
    pytest.param(CAN_I_SCALE_DEPLOYMENTS, {**SSAR, "spec": {"resourceAttributes": {
        "namespace": "shop", "verb": "create", "group": "apps", "resource": "deployments", "subresource": "scale"}}},
        id="auth can-i with a group and a subresource"),
    pytest.param(CAN_I_GET_HEALTHZ, {**SSAR, "spec": {"nonResourceAttributes": {"path": "/healthz", "verb": "get"}}},
                 id="auth can-i on a URL sends nonResourceAttributes"),
    pytest.param(CAN_I_LIST_SECRETS_EVERYWHERE, {**SSAR, "spec": {"resourceAttributes": {
        "verb": "list", "resource": "secrets"}}},
        id="auth can-i --all-namespaces leaves the namespace empty"),
    pytest.param(CAN_I_LIST, {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
                              "metadata": {}, "spec": {"namespace": "shop"}, "status": {}},
                 id="auth can-i --list is a SelfSubjectRulesReview for the namespace"),
    pytest.param(WHOAMI, {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": {},
                          "status": {"userInfo": {}}},
                 id="auth whoami sends an empty SelfSubjectReview"),
    pytest.param(CREATE_TOKEN, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {},
                                "spec": {}, "status": {}},
                 id="create token with no flags asks for the defaults"),
    pytest.param(CREATE_TOKEN_BOUND, {
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {},
        "spec": {"audiences": ["vault"], "expirationSeconds": 600,
                 "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web-0", "uid": "7f3c"}},
        "status": {}},
        id="create token's audience, duration and bound object (aPIVersion and uID in the proto)"),
    pytest.param(DRAIN_DELETE_OPTIONS, {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 5},
                 id="drain --disable-eviction deletes each pod with DeleteOptions"),
    pytest.param(CREATE_CONFIGMAP, {"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": "settings", "namespace": "shop"}, "data": {"colour": "blue"}},
                 id="create configmap: a map<string, string> of data"),
    pytest.param(CREATE_CONFIGMAP_FROM_FILES, {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "files", "namespace": "shop"},
        "data": {"greeting.txt": "hello\n"}, "binaryData": {"logo.bin": "AAEC/w=="}},
        id="a file that is not UTF-8 goes in binaryData, raw bytes that JSON writes in base64"),
    pytest.param(CREATE_SECRET, {"apiVersion": "v1", "kind": "Secret",
                                 "metadata": {"name": "creds", "namespace": "shop"}, "data": {"user": "YWRtaW4="}},
                 id="create secret generic: a secret's data is bytes, so base64 in JSON"),
    pytest.param(CREATE_SECRET_DOCKER_REGISTRY, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "regcred", "namespace": "shop"},
        "data": {".dockerconfigjson": DOCKER_CONFIG},
        "type": "kubernetes.io/dockerconfigjson"},
        id="create secret docker-registry: a typed secret holding a docker config"),
    pytest.param(CREATE_SERVICEACCOUNT, {"apiVersion": "v1", "kind": "ServiceAccount",
                                         "metadata": {"name": "robot", "namespace": "shop"}},
                 id="create serviceaccount: metadata alone"),
    pytest.param(CREATE_JOB, {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": "shop"},
        "spec": {"template": {"metadata": {}, "spec": {
            "containers": [{"name": "once", "image": "busybox", "command": ["echo", "hi"], "resources": {}}],
            "restartPolicy": "Never"}}},
        "status": {}},
        id="create job: a pod template that never restarts, and an empty status"),
    pytest.param(CREATE_CRONJOB, {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick", "namespace": "shop"},
        "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"metadata": {"name": "tick"}, "spec": {"template": {
            "metadata": {}, "spec": {"containers": [{"name": "tick", "image": "busybox", "resources": {}}],
                                     "restartPolicy": "OnFailure"}}}}},
        "status": {}},
        id="create cronjob: a schedule and a job template"),
    pytest.param(CREATE_JOB_FROM_CRONJOB, {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "manual", "namespace": "shop",
                     "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
                     "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "tick",
                                          "uid": "a7f5195c-de62-443f-a619-08b9ccf719ab", "controller": True}]},
        "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 6, "completionMode": "NonIndexed",
                 "suspend": False, "podReplacementPolicy": "TerminatingOrFailed",
                 "template": {"metadata": {}, "spec": {
                     "containers": [{"name": "tick", "image": "busybox", "resources": {},
                                     "terminationMessagePath": "/dev/termination-log",
                                     "terminationMessagePolicy": "File", "imagePullPolicy": "Always"}],
                     "restartPolicy": "OnFailure", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                     "securityContext": {}, "schedulerName": "default-scheduler"}}},
        "status": {}},
        id="create job --from=cronjob copies the stored template, server defaults and all; suspend is a pointer"),
    pytest.param(CREATE_SERVICE_CLUSTERIP, {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
                 "selector": {"app": "web"}, "type": "ClusterIP"},
        "status": {"loadBalancer": {}}},
        id="create service clusterip: a port with an int targetPort; the empty loadBalancer status Go always writes"),
    pytest.param(CREATE_SERVICE_NODEPORT, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "np", "namespace": "shop", "labels": {"app": "np"}},
        "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30080}],
                 "selector": {"app": "np"}, "type": "NodePort"},
        "status": {"loadBalancer": {}}},
        id="create service nodeport --node-port"),
    pytest.param(CREATE_SERVICE_EXTERNALNAME, {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "ext", "namespace": "shop", "labels": {"app": "ext"}},
        "spec": {"selector": {"app": "ext"}, "type": "ExternalName", "externalName": "example.com"},
        "status": {"loadBalancer": {}}},
        id="create service externalname: no ports at all"),
    pytest.param(CREATE_ROLE, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "reader", "namespace": "shop"},
        "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["web"]},
                  {"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"],
                   "resourceNames": ["web"]}]},
        id="create role: one rule per API group, the core group an empty string that is kept"),
    pytest.param(CREATE_CLUSTERROLE_AGGREGATED, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "agg"},
        "rules": None,
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate": "true"}}]}},
        id="create clusterrole --aggregation-rule: rules has no omitempty, so JSON writes null"),
    pytest.param(CREATE_ROLEBINDING, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "view-b", "namespace": "shop"},
        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bob"},
                     {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"},
                     {"kind": "ServiceAccount", "name": "robot", "namespace": "shop"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}},
        id="create rolebinding: a user, a group and a service account"),
    pytest.param(CREATE_QUOTA, {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute", "namespace": "shop"},
        "spec": {"hard": {"limits.memory": "2Gi", "pods": "4", "requests.cpu": "2"}}, "status": {}},
        id="create quota: hard limits are quantities"),
    pytest.param(CREATE_PDB_MIN_AVAILABLE, {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
        "status": {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}},
        id="create pdb --min-available: an int IntOrString; the status counts have no omitempty"),
    pytest.param(CREATE_PDB_MAX_UNAVAILABLE, {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "api"}}, "maxUnavailable": "50%"},
        "status": {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}},
        id="create pdb --max-unavailable=50%: a string IntOrString"),
    pytest.param(CREATE_PRIORITYCLASS, {
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "batch"},
        "value": 0, "globalDefault": True, "description": "runs last", "preemptionPolicy": "Never"},
        id="create priorityclass --value=0: a zero value that JSON still writes"),
    pytest.param(CREATE_INGRESS, {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "shop", "namespace": "shop"},
        "spec": {"ingressClassName": "nginx",
                 "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
                 "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
                 "rules": [{"host": "shop.example.com", "http": {"paths": [
                     {"path": "/", "pathType": "Prefix",
                      "backend": {"service": {"name": "web", "port": {"name": "http"}}}},
                     {"path": "/api", "pathType": "Exact",
                      "backend": {"service": {"name": "api", "port": {"number": 8080}}}}]}}]},
        "status": {"loadBalancer": {}}},
        id="create ingress: a rule's http is inline in JSON, a port by name or number"),
    pytest.param(AUTOSCALE, {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "api"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api", "apiVersion": "apps/v1"},
                 "minReplicas": 2, "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {
                     "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]},
        "status": {"desiredReplicas": 0, "currentMetrics": None}},
        id="autoscale: an autoscaling/v2 HorizontalPodAutoscaler with a CPU utilization target"),
    pytest.param(DEBUG_NODE, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "node-debugger-node-1-qnl4x"},
        "spec": {"volumes": [{"name": "host-root", "hostPath": {"path": "/"}}],
                 "containers": [{"name": "debugger", "image": "busybox", "command": ["true"], "resources": {},
                                 "volumeMounts": [{"name": "host-root", "mountPath": "/host"}],
                                 "terminationMessagePolicy": "File"}],
                 "restartPolicy": "Never", "nodeName": "node-1", "hostNetwork": True, "hostPID": True, "hostIPC": True,
                 "tolerations": [{"operator": "Exists"}]},
        "status": {}},
        id="debug node: a pod on the node's namespaces with its root mounted; a volume's source is inline in JSON"),
    pytest.param(DEBUG_NODE_RESTRICTED, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "node-debugger-node-1-dr4jc"},
        "spec": {"containers": [{"name": "debugger", "image": "busybox", "command": ["true"], "resources": {},
                                 "securityContext": {"capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
                                                     "allowPrivilegeEscalation": False,
                                                     "seccompProfile": {"type": "RuntimeDefault"}},
                                 "terminationMessagePolicy": "File"}],
                 "restartPolicy": "Never", "nodeName": "node-1", "tolerations": [{"operator": "Exists"}]},
        "status": {}},
        id="debug node --profile=restricted: a container security context, pointer false kept"),
    pytest.param(NAMESPACE_FULL_METADATA, {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "shop", "uid": "5b1e", "resourceVersion": "42", "generation": 3,
                     "creationTimestamp": "2023-11-14T22:13:20Z", "deletionTimestamp": "2023-11-14T22:13:50Z",
                     "deletionGracePeriodSeconds": 0, "labels": {"team": "sales"}, "annotations": {"note": "hi"},
                     "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "c0ff",
                                          "controller": True, "blockOwnerDeletion": False}],
                     "finalizers": ["example.com/hold"],
                     "managedFields": [{"manager": "kubectl-create", "operation": "Update", "apiVersion": "v1",
                                        "time": "2023-11-14T22:13:20Z"}]},
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Terminating"}},
        id="every ObjectMeta field: times as RFC 3339, maps, owner references, managed fields"),
    pytest.param(DELETE_OPTIONS_EVERY_FIELD, {
        "apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0, "preconditions": {"uid": "5b1e"},
        "orphanDependents": False, "propagationPolicy": "Foreground", "dryRun": ["All"]},
        id="every DeleteOptions field, pointer zeros kept"),
]


@pytest.mark.parametrize("raw, expected", DECODED)
def test_decodes_what_kubectl_meant(raw, expected):
    decoded = protobuf.decode(raw)
    assert decoded == expected
    assert list(decoded)[:2] == ["apiVersion", "kind"]


def test_eviction_and_the_access_reviews_kubectl_does_not_send_decode_by_their_generated_proto():
    meta = field(1, field(1, "web-0") + field(3, "shop"))
    options = field(1, 0, wire=0) + field(2, field(1, "u-1") + field(2, "7"))
    eviction = envelope("policy/v1", "Eviction", meta + field(2, options))
    assert protobuf.decode(eviction) == {
        "apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "web-0", "namespace": "shop"},
        "deleteOptions": {"gracePeriodSeconds": 0, "preconditions": {"uid": "u-1", "resourceVersion": "7"}}}
    selector = field(8, field(2, field(1, "spec.nodeName") + field(2, "In") + field(3, "node-1")))
    spec = field(1, field(2, "list") + field(5, "pods") + selector) + field(3, "jane") + field(4, "dev") \
        + field(5, field(1, "scopes") + field(2, field(1, "a") + field(1, "b"))) + field(6, "u-9")
    review = envelope("authorization.k8s.io/v1", "LocalSubjectAccessReview", field(1, b"") + field(2, spec))
    assert protobuf.decode(review) == {
        "apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview", "metadata": {},
        "spec": {"resourceAttributes": {"verb": "list", "resource": "pods", "fieldSelector": {"requirements": [
            {"key": "spec.nodeName", "operator": "In", "values": ["node-1"]}]}},
            "user": "jane", "groups": ["dev"], "extra": {"scopes": ["a", "b"]}, "uid": "u-9"}}
    token_review = envelope("authentication.k8s.io/v1", "TokenReview",
                            field(2, field(1, "abc") + field(2, "api")))
    assert protobuf.decode(token_review) == {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                                             "spec": {"token": "abc", "audiences": ["api"]}}


def test_a_container_keeps_args_env_resources_and_named_ports():
    deployment = envelope("apps/v1", "Deployment", field(2, field(3, field(2, field(2, CONTAINER_FIELDS)))))
    assert protobuf.decode(deployment)["spec"]["template"]["spec"]["containers"] == [{
        "name": "web", "image": "nginx:1.25", "args": ["-g", "daemon off;"], "workingDir": "/srv",
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "MODE", "value": "prod"}],
        "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "64Mi"}},
        "imagePullPolicy": "IfNotPresent", "tty": True}]


def test_managed_fields_carry_their_field_set_as_json():
    entry = field(1, "kubectl") + field(6, "FieldsV1") + field(7, field(1, b'{"f:data":{"f:colour":{}}}')) \
        + field(8, "status")
    namespace = envelope("v1", "Namespace", field(1, field(1, "shop") + field(17, entry)))
    assert protobuf.decode(namespace)["metadata"]["managedFields"] == [
        {"manager": "kubectl", "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:colour": {}}},
         "subresource": "status"}]


def test_negative_numbers_arrive_as_ten_byte_twos_complement():
    options = envelope("v1", "DeleteOptions", field(1, (1 << 64) - 1, wire=0))
    assert protobuf.decode(options)["gracePeriodSeconds"] == -1


def test_a_field_without_omitempty_is_written_even_when_the_wire_lacks_it():
    low = envelope("scheduling.k8s.io/v1", "PriorityClass", field(1, field(1, "low")))
    assert protobuf.decode(low) == {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                    "metadata": {"name": "low"}, "value": 0}
    role = envelope("rbac.authorization.k8s.io/v1", "Role", field(1, field(1, "r")) + field(2, field(3, "pods")))
    assert protobuf.decode(role)["rules"] == [{"verbs": None, "resources": ["pods"]}]

def test_an_unknown_field_is_skipped_when_empty_but_refused_when_set():
    empty = envelope("v1", "Namespace", field(1, field(1, "shop") + field(15, "")))
    assert protobuf.decode(empty) == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    with pytest.raises(protobuf.UnsupportedKind, match="no field 15 of protobuf ObjectMeta") as caught:
        protobuf.decode(envelope("v1", "Namespace", field(1, field(1, "shop") + field(15, "east"))))
    assert caught.value.code == 415


PREFIX = "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
UNKNOWN_FORMAT = ("the body of the request was in an unknown format - accepted media types include: "
                  "application/json, application/yaml, application/vnd.kubernetes.protobuf")

REFUSED = [
    pytest.param(b'{"kind":"Namespace"}', 400,
                 f"the object provided is unrecognized: {PREFIX} (7b226b696e64223a224e616d657370616365227d)",
                 id="JSON labelled as protobuf lacks the k8s magic"),
    pytest.param(protobuf.MAGIC, 400, "the object provided is unrecognized: empty body (6b387300)",
                 id="the magic alone is an empty body"),
    pytest.param(CAN_I_CREATE_PODS[:40], 400,
                 "the object provided is unrecognized: unexpected EOF "
                 f"({CAN_I_CREATE_PODS[:30].hex()} ...)",
                 id="a body cut short ends inside the envelope"),
    pytest.param(envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", field(2, 1, wire=0)), 400,
                 'SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: '
                 "proto: wrong wireType = 0 for field Spec",
                 id="a message field sent as a varint"),
    pytest.param(envelope("v1", "DeleteOptions", b"\x08" + b"\xff" * 10 + b"\x01"), 400,
                 'DeleteOptions in version "v1" cannot be handled as a DeleteOptions: proto: integer overflow',
                 id="a varint longer than 64 bits"),
    pytest.param(envelope("v1", "Namespace", b"\x00\x00"), 400,
                 'Namespace in version "v1" cannot be handled as a Namespace: '
                 "proto: Namespace: illegal tag 0 (wire type 0)",
                 id="field number 0"),
    pytest.param(envelope("v1", "", b""), 400,
                 """Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:"v1", Kind:""}'""",
                 id="an envelope without a kind"),
    pytest.param(AUTOSCALE_V1, 415, UNKNOWN_FORMAT,
                 id="a kind with no table here is an unsupported media type, as upstream words it"),
]


@pytest.mark.parametrize("raw, code, message", REFUSED)
def test_malformed_or_unknown_bodies_are_refused_with_the_api_servers_status(raw, code, message):
    with pytest.raises(protobuf.ProtobufError) as caught:
        protobuf.decode(raw)
    status = caught.value.status
    assert (caught.value.code, status["code"], status["message"]) == (code, code, message)
    assert status["reason"] == {400: "BadRequest", 415: "UnsupportedMediaType"}[code]


def test_the_python_error_for_an_unknown_kind_names_it():
    with pytest.raises(protobuf.UnsupportedKind, match="no protobuf HorizontalPodAutoscaler in autoscaling/v1"):
        protobuf.decode(AUTOSCALE_V1)


# -- end to end: kubectl 1.33 against a served cluster --------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A served cluster; beside its kubeconfig, the admin's CA, client certificate and key as PEM files."""
    home = tmp_path_factory.mktemp("protobuf")
    with Server(nodes=1, kubeconfig=str(home / "kubeconfig")) as s:
        config = yaml.safe_load((home / "kubeconfig").read_text())
        for name, key in (("ca", "certificate-authority-data"), ("cert", "client-certificate-data"),
                          ("key", "client-key-data")):
            section = config["clusters"][0]["cluster"] if name == "ca" else config["users"][0]["user"]
            (home / name).write_bytes(base64.b64decode(section[key]))
        yield s, home


def kubectl(home, *args: str, ok: bool = True) -> str:
    binary = require(kubectl_path("1.33"), "kubectl 1.33")
    env = dict(os.environ, HOME=str(home / "home"), KUBECONFIG=str(home / "kubeconfig"))
    result = subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=120)
    assert (result.returncode == 0) == ok, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_kubectl_1_33s_protobuf_requests_are_served(served):
    _, home = served
    assert kubectl(home, "create", "namespace", "shop").strip() == "namespace/shop created"
    assert kubectl(home, "create", "deployment", "sleeper", "--image=busybox", "--replicas=0", "-n", "shop",
                   "--", "sleep", "3600").strip() == "deployment.apps/sleeper created"
    stored = json.loads(kubectl(home, "get", "deployment", "sleeper", "-n", "shop", "-o", "json"))
    assert stored["spec"]["replicas"] == 0
    assert stored["spec"]["template"]["spec"]["containers"][0]["command"] == ["sleep", "3600"]
    assert kubectl(home, "auth", "can-i", "create", "pods", "-n", "shop").strip() == "yes"
    assert "kubernetes-admin" in kubectl(home, "auth", "whoami")


NS = "generators"


@pytest.fixture(scope="module")
def generators(served):
    _, home = served
    kubectl(home, "create", "namespace", NS)
    return home


# (commands, what the last one prints, fields the stored object must have): every command runs in NS.
GENERATORS = [
    pytest.param(["create configmap settings --from-literal=colour=blue"], "configmap/settings created",
                 {"data": {"colour": "blue"}}, id="create configmap"),
    pytest.param(["create secret generic creds --from-literal=user=admin"], "secret/creds created",
                 {"data": {"user": "YWRtaW4="}}, id="create secret generic"),
    pytest.param(["create secret docker-registry regcred --docker-server=registry.example.com "
                  "--docker-username=jane --docker-password=s3cret"], "secret/regcred created",
                 {"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": DOCKER_CONFIG}},
                 id="create secret docker-registry"),
    pytest.param(["create serviceaccount robot"], "serviceaccount/robot created", {"metadata": {"name": "robot"}},
                 id="create serviceaccount"),
    pytest.param(["create job once --image=busybox -- echo hi"], "job.batch/once created",
                 {"spec": {"template": {"spec": {"containers": [{"image": "busybox", "command": ["echo", "hi"]}],
                                                 "restartPolicy": "Never"}}}},
                 id="create job with a command"),
    pytest.param(['create cronjob tick --image=busybox --schedule="*/5 * * * *"'], "cronjob.batch/tick created",
                 {"spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                     "restartPolicy": "OnFailure"}}}}}},
                 id="create cronjob"),
    pytest.param(['create cronjob nightly --image=busybox --schedule="0 3 * * *"',
                  "create job manual --from=cronjob/nightly"], "job.batch/manual created",
                 {"metadata": {"annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
                               "ownerReferences": [{"kind": "CronJob", "name": "nightly", "controller": True}]}},
                 id="create job --from=cronjob sends the stored template back, defaults and all"),
    pytest.param(["create service clusterip web --tcp=80:8080"], "service/web created",
                 {"spec": {"type": "ClusterIP", "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}},
                 id="create service clusterip"),
    pytest.param(["create service clusterip headless --clusterip=None"], "service/headless created",
                 {"spec": {"type": "ClusterIP", "clusterIP": "None"}}, id="create service clusterip --clusterip=None"),
    pytest.param(["create service nodeport np --tcp=80:8080 --node-port=30080"], "service/np created",
                 {"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}},
                 id="create service nodeport"),
    pytest.param(["create service loadbalancer lb --tcp=443:8443"], "service/lb created",
                 {"spec": {"type": "LoadBalancer", "ports": [{"port": 443, "targetPort": 8443}]}},
                 id="create service loadbalancer"),
    pytest.param(["create service externalname ext --external-name=example.com"], "service/ext created",
                 {"spec": {"type": "ExternalName", "externalName": "example.com"}}, id="create service externalname"),
    pytest.param(["create role reader --verb=get --resource=pods"], "role.rbac.authorization.k8s.io/reader created",
                 {"rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]}, id="create role"),
    pytest.param(["create clusterrole viewer --verb=get,list --resource=deployments.apps"],
                 "clusterrole.rbac.authorization.k8s.io/viewer created",
                 {"rules": [{"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"]}]},
                 id="create clusterrole"),
    pytest.param(["create clusterrole health --verb=get --non-resource-url=/healthz"],
                 "clusterrole.rbac.authorization.k8s.io/health created",
                 {"rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]},
                 id="create clusterrole --non-resource-url"),
    pytest.param(["create clusterrole agg --aggregation-rule=rbac.example.com/aggregate=true"],
                 "clusterrole.rbac.authorization.k8s.io/agg created",
                 {"aggregationRule": {"clusterRoleSelectors": [
                     {"matchLabels": {"rbac.example.com/aggregate": "true"}}]}},
                 id="create clusterrole --aggregation-rule"),
    pytest.param(["create rolebinding reader-b --role=reader --user=jane"],
                 "rolebinding.rbac.authorization.k8s.io/reader-b created",
                 {"subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"}],
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}},
                 id="create rolebinding"),
    pytest.param([f"create clusterrolebinding viewer-b --clusterrole=viewer --group=devs --serviceaccount={NS}:robot"],
                 "clusterrolebinding.rbac.authorization.k8s.io/viewer-b created",
                 {"subjects": [{"kind": "Group", "name": "devs"},
                               {"kind": "ServiceAccount", "name": "robot", "namespace": NS}],
                  "roleRef": {"kind": "ClusterRole", "name": "viewer"}},
                 id="create clusterrolebinding"),
    pytest.param(["create quota pods --hard=pods=10 --scopes=BestEffort"], "resourcequota/pods created",
                 {"spec": {"hard": {"pods": "10"}, "scopes": ["BestEffort"]}}, id="create quota"),
    pytest.param(["create pdb web --selector=app=web --min-available=1"], "poddisruptionbudget.policy/web created",
                 {"spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}},
                 id="create pdb --min-available"),
    pytest.param(["create pdb api --selector=app=api --max-unavailable=50%"], "poddisruptionbudget.policy/api created",
                 {"spec": {"maxUnavailable": "50%"}}, id="create pdb --max-unavailable"),
    pytest.param(['create priorityclass batch --value=0 --preemption-policy=Never --description="runs last"'],
                 "priorityclass.scheduling.k8s.io/batch created",
                 {"value": 0, "preemptionPolicy": "Never", "description": "runs last"}, id="create priorityclass"),
    pytest.param(['create ingress shop --class=nginx --rule="shop.example.com/*=web:http,tls=shop-tls" '
                  "--default-backend=web:80"], "ingress.networking.k8s.io/shop created",
                 {"spec": {"ingressClassName": "nginx",
                           "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
                           "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
                           "rules": [{"host": "shop.example.com", "http": {"paths": [
                               {"path": "/", "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"name": "http"}}}}]}}]}},
                 id="create ingress"),
    pytest.param(["create deployment api --image=nginx", "autoscale deployment api --min=2 --max=5 --cpu-percent=80"],
                 "horizontalpodautoscaler.autoscaling/api autoscaled",
                 {"spec": {"minReplicas": 2, "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {
                     "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]}},
                 id="autoscale (not create, but a generator too)"),
]


def contains(whole, part) -> bool:
    """Whether ``whole`` has every key of ``part`` with a matching value; lists match item by item."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and contains(whole[k], v) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and len(whole) == len(part) and all(map(contains, whole, part))
    return whole == part


@pytest.mark.parametrize("commands, printed, stored", GENERATORS)
def test_kubectl_1_33s_generators_send_protobuf_the_server_stores(generators, commands, printed, stored):
    for command in commands:
        output = kubectl(generators, "-n", NS, *shlex.split(command))     # -n before any "--"
    assert output.strip() == printed
    obj = json.loads(kubectl(generators, "get", printed.split()[0], "-n", NS, "-o", "json"))
    assert contains(obj, stored), json.dumps(obj, indent=1)


def test_kubectl_create_secret_tls_keeps_the_pem_files_bytes(generators):
    cert, key = generators / "cert", generators / "key"
    assert kubectl(generators, "create", "secret", "tls", "admin-tls", f"--cert={cert}", f"--key={key}",
                   "-n", NS).strip() == "secret/admin-tls created"
    obj = json.loads(kubectl(generators, "get", "secret", "admin-tls", "-n", NS, "-o", "json"))
    assert obj["type"] == "kubernetes.io/tls"
    assert obj["data"] == {"tls.crt": base64.b64encode(cert.read_bytes()).decode(),
                           "tls.key": base64.b64encode(key.read_bytes()).decode()}


def test_kubectl_debug_node_creates_its_pod_in_protobuf(generators):
    output = kubectl(generators, "-n", NS, "debug", "node/node-1", "--image=busybox", "--profile=sysadmin",
                     "--", "true")
    assert output.startswith("Creating debugging pod node-debugger-node-1-"), output
    name = output.split()[3]
    obj = json.loads(kubectl(generators, "get", "pod", name, "-n", NS, "-o", "json"))
    assert contains(obj, {"spec": {"nodeName": "node-1", "hostPID": True, "volumes": [
        {"name": "host-root", "hostPath": {"path": "/"}}], "containers": [
        {"securityContext": {"privileged": True}, "volumeMounts": [{"name": "host-root", "mountPath": "/host"}]}]}}), \
        json.dumps(obj, indent=1)


def test_kubectl_debug_copy_to_sends_back_the_stored_pod_with_a_debugger_beside_it(generators):
    kubectl(generators, "-n", NS, "run", "shell", "--image=nginx")      # kubectl run still sends JSON
    kubectl(generators, "-n", NS, "debug", "shell", "--copy-to=shell-copy", "--container=debugger",
            "--image=busybox", "--share-processes", "--", "true")
    obj = json.loads(kubectl(generators, "get", "pod", "shell-copy", "-n", NS, "-o", "json"))
    assert contains(obj, {"spec": {"shareProcessNamespace": True, "enableServiceLinks": True, "containers": [
        {"name": "shell", "image": "nginx"}, {"name": "debugger", "image": "busybox", "command": ["true"]}]}}), \
        json.dumps(obj, indent=1)


def post(served, path: str, body: bytes) -> tuple[int, dict]:
    """POST ``body`` as protobuf with the admin's client certificate."""
    s, home = served
    context = ssl.create_default_context(cafile=str(home / "ca"))
    context.load_cert_chain(str(home / "cert"), str(home / "key"))
    host, port = s.url.removeprefix("https://").rsplit(":", 1)
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
    connection.request("POST", path, body, {"Content-Type": protobuf.CONTENT_TYPE,
                                            "Accept": f"{protobuf.CONTENT_TYPE},application/json"})
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def test_the_http_layer_answers_bad_bodies_with_400_and_unknown_kinds_with_415(served):
    code, status = post(served, "/api/v1/namespaces", b'{"kind":"Namespace"}')
    assert (code, status["reason"]) == (400, "BadRequest")
    assert status["message"].startswith("the object provided is unrecognized: provided data does not appear")
    code, status = post(served, "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers", AUTOSCALE_V1)
    assert (code, status["reason"], status["message"]) == (415, "UnsupportedMediaType", UNKNOWN_FORMAT)
    code, review = post(served, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", CAN_I_CREATE_PODS)
    assert (code, review["status"]["allowed"]) == (201, True)
