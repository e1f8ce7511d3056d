// xarch's public library API: named re-exports only, grouped as the source
// tree is (the README's "Library" section documents each group). The library
// never prints and never exits; failures are XarchError values with a code,
// a hint and the path or byte offset they concern. Anything not listed here
// is internal and may change between versions.

// ---- errors
export { XarchError, isXarchError } from './core/errors.js';
export type { ErrorCode, ErrorDetails } from './core/errors.js';

// ---- the pure core: bytes and strings in, values out
export { parseElf, parseDynamic, bytesReadAt, looksLikeElf, machineName } from './core/elf.js';
export type { ElfInfo, ElfHeaders, ElfType, DynamicInfo, ReadAt } from './core/elf.js';
export {
  TARGETS, getTarget, resolveTarget, closestNames, allNames, hostFamily, hostTargets, isHostTarget,
  targetsForHeader, headerMatches, emulatorName, xarchEntryName, targetForEntryName,
} from './core/arch.js';
export type { Target, Resolved, NameScheme } from './core/arch.js';
export {
  parseRegister, renderRegister, registerBytes, renderEntry, parseEntry, ruleFromTarget, sameRule, canonicalFlags,
  BINPRM_BUF_SIZE, MAX_REGISTER_LENGTH, NAME_MAX,
} from './core/rule.js';
export type { Rule, RuleParse, RegisterErrno, ParseOptions } from './core/rule.js';
export { decodePath, encodePath } from './core/path-bytes.js';
export { byteString, stringBytes, displayBytes, escapeHex, unescapeHex, toHex, fromHex, bytesEqual } from './core/bytes.js';
export { matchRule, whichEntry, pathExtension } from './core/match.js';
export type { LiveEntry, MatchResult, WhichResult, NearMiss, FirstDiff } from './core/match.js';
export { lint } from './core/lint.js';
export type { LintFinding, LintCode, LintSeverity, LintContext } from './core/lint.js';
export { deriveRule } from './core/derive.js';
export { kernelFeatures, kernelAtLeast } from './core/kernel-version.js';
export type { KernelFeatures } from './core/kernel-version.js';
export { buildProbe, hasProbe, probeMessage, PROBE_TARGETS, PROBE_EXIT } from './core/probe.js';
export { selectImage, parseImageConfig } from './core/image.js';
export type { ImageConfig, ImageRef } from './core/image.js';

// ---- formats: one rule model, several renderers (binfmt.d, Debian binfmts, JSON)
export { FORMATS, getFormat, formatChoices } from './formats/registry.js';
export type { Format, FormatWarning, Rendered, ConfigRule, ConfigError } from './formats/format.js';
export { kubernetesManifests } from './formats/kubernetes.js';
export { renderSystemdUnit } from './formats/systemd-unit.js';

// ---- the host edge: files, the live binfmt_misc instance, namespaces, archives
export { readElfFile, readDynamicFile, readHead } from './host/file.js';
export { resolveInRoot } from './host/rootfs.js';
export {
  DEFAULT_BINFMT_DIR, readLiveEntries, readEntry, readGlobalStatus, isMounted, ensureMounted,
  registerRule, removeEntry, setEntryEnabled, setGlobalEnabled,
} from './host/kernel.js';
export { sandboxArgv, sandboxSupport } from './host/namespace.js';
export { describeInstance, classifyInstance } from './host/instance.js';
export type { InstanceKind, InstanceReport } from './host/instance.js';
export { writeFileAtomic } from './host/atomic.js';
export { unpackTarFile } from './host/unpack.js';

// ---- features
export { findEmulators, withVersions, DEFAULT_EMULATOR_DIRS } from './emulators/discover.js';
export { bestEmulator, honoursP } from './emulators/emulator.js';
export { Store, defaultStoreDir } from './emulators/store.js';
export { useSet, rollback } from './emulators/promote.js';
export { unpackSource } from './emulators/sources.js';
export { probeEmulators } from './emulators/canary.js';
export { resolveSet } from './emulators/manifest.js';
export type { Manifest, StoreState } from './emulators/manifest.js';
export { packageOwners } from './emulators/discover.js';
export type { Emulator } from './emulators/emulator.js';
export { installTargets, installRules } from './manage/install.js';
export type { InstallOptions } from './manage/install.js';
export { planTargets, planRules, defaultFlags } from './manage/plan.js';
export type { InstallItem, InstallStatus, Plan, PlanFacts } from './manage/plan.js';
export { uninstall, setEnabled } from './manage/change.js';
export type { ChangeItem, ChangeStatus, ChangeOptions } from './manage/change.js';
export { status } from './manage/status.js';
export type { StatusReport, StatusEntry } from './manage/status.js';
export { selectEntries } from './manage/select.js';
export { isOurs, servedTargets, conflictsFor } from './manage/ownership.js';
export { interpreterProblem, resolutionChain } from './manage/interpreter-safety.js';
export type { ManageOptions } from './manage/options.js';
export { writePersisted, removePersisted } from './persist/persist.js';
export { readConfig, binfmtDFiles } from './persist/config.js';
export { verifyTargets, defaultVerifyTargets } from './verify/verify.js';
export type { VerifyResult, VerifyOptions } from './verify/verify.js';
export { verifyWithEngine } from './verify/engine.js';
export { planRun, execPlan } from './run/run.js';
export type { RunRequest, RunPlan } from './run/run.js';
export { planSession, prepareSession, runSession, detectArchitectures } from './session/session.js';
export { detectArchitecturesCached } from './session/detect.js';
export type { SessionRequest, SessionPlan, PreparedSession, SessionHandlers } from './session/session.js';
export { prepareRoot, defaultCacheDir } from './session/roots.js';
export type { PreparedRoot } from './session/roots.js';
export { gatherFacts, diagnose } from './doctor/doctor.js';
export type { Finding, Facts } from './doctor/doctor.js';
export { scanPath } from './scan/image.js';
export { scanTree } from './scan/scan.js';
export type { ScanReport } from './scan/scan.js';
export { scanTreeParallel, resolveJobs } from './scan/parallel.js';
export type { ParallelTreeOptions } from './scan/parallel.js';
export type { Progress } from './core/progress.js';
export { runBench } from './perf/bench.js';
export type { BenchOptions, BenchReport } from './perf/bench.js';
export { parseCpuHelp } from './perf/cpu-models.js';
export { cpuModels } from './perf/cpu.js';
export { buildCpuWrapper } from './core/cpu-wrapper.js';
export { Agent, desiredState } from './agent/agent.js';
export type { AgentOptions, Desired } from './agent/agent.js';
export type { AgentEvent } from './agent/reconcile.js';
export { checkState } from './agent/state.js';
export { renderFeatures } from './agent/features.js';
