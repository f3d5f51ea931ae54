using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agentic.Core.Randomness;
using Agentic.Core.Serialization;
using Agentic.Core.Tokenization;
using Agentic.Rl.Modeling;
using Agentic.Rl.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Agentic.Rl.Checkpoints;

/// <summary>A policy loaded from a checkpoint folder.</summary>
/// <param name="Model">The model, with the saved weights.</param>
/// <param name="Tokenizer">The tokenizer the model was trained with.</param>
/// <param name="Directory">The folder it was read from.</param>
/// <param name="Metadata">Free-form string metadata saved with the checkpoint.</param>
public sealed record LoadedPolicy(MoeCausalLM Model, ByteLevelTokenizer Tokenizer, string Directory, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Checkpoint folders: <c>config.json</c>, <c>tokenizer.json</c>, <c>model.safetensors</c> (weights, readable by the
/// Python ecosystem), <c>optimizer.safetensors</c> and <c>trainer_state.json</c> (AdamW moments, step, RNG state)
/// when a trainer is saved, and <c>manifest.json</c> (size and SHA-256 of every file), written last.
/// </summary>
/// <remarks>
/// Writes are atomic: everything goes to a temporary sibling folder that replaces the target by rename, so a crash
/// at any point leaves either the previous complete checkpoint or the new one. Loading verifies the manifest and
/// raises <see cref="CheckpointException"/> for a missing, truncated or corrupt file, and for weights that are NaN or
/// infinite (saving such weights throws too, so a diverged model never replaces a good checkpoint).
/// </remarks>
public static class PolicyCheckpoint
{
    private const int FormatVersion = 1;
    private const string ManifestFile = "manifest.json";
    private const string RunStateFile = "run_state.json";
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>Saves the model (and optionally the trainer) to <paramref name="directory"/>, atomically.</summary>
    public static void Save(
        string directory,
        MoeCausalLM model,
        ByteLevelTokenizer tokenizer,
        SftTrainer? trainer = null,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        SaveCore(directory, model, tokenizer, trainer, metadata, runState: null);

    /// <summary>
    /// Saves the model, the policy-gradient trainer's optimizer state and an optional run state (for example an
    /// <c>AgentRlState</c> as JSON, written to <c>run_state.json</c>) to <paramref name="directory"/>, atomically.
    /// </summary>
    public static void Save(
        string directory,
        MoeCausalLM model,
        ByteLevelTokenizer tokenizer,
        PolicyGradientTrainer trainer,
        IReadOnlyDictionary<string, string>? metadata = null,
        string? runState = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        SaveCore(directory, model, tokenizer, trainer, metadata, runState);
    }

    /// <summary>
    /// Whether a complete checkpoint can be read from <paramref name="directory"/>: the folder itself, or the previous
    /// checkpoint a crash between the two renames of an atomic save left beside it.
    /// </summary>
    public static bool Exists(string directory)
    {
        try
        {
            Resolve(directory);
            return true;
        }
        catch (CheckpointException)
        {
            return false;
        }
    }

    /// <summary>The run state saved with the checkpoint (<c>run_state.json</c>), or null when there is none.</summary>
    /// <exception cref="CheckpointException">The folder is missing, incomplete or corrupt.</exception>
    public static string? ReadRunState(string directory)
    {
        directory = Resolve(directory);
        VerifyManifest(directory);
        var path = Path.Combine(directory, RunStateFile);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    private static void SaveCore(string directory, MoeCausalLM model, ByteLevelTokenizer tokenizer, ITrainerState? trainer,
        IReadOnlyDictionary<string, string>? metadata, string? runState)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        directory = Path.GetFullPath(directory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        // A diverged model never replaces a good checkpoint.
        foreach (var (name, value) in model.state_dict()) EnsureFinite(name, value, $"the checkpoint at '{directory}' was not written");
        var parent = Path.GetDirectoryName(directory)!;
        Directory.CreateDirectory(parent);
        var tmp = $"{directory}.tmp-{Guid.NewGuid():N}";
        Directory.CreateDirectory(tmp);
        try
        {
            File.WriteAllText(Path.Combine(tmp, "config.json"), model.Config.ToJson());
            File.WriteAllText(Path.Combine(tmp, "tokenizer.json"), tokenizer.ToJson());
            var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["format"] = "pt" };
            SafeTensorsFile.Write(Path.Combine(tmp, "model.safetensors"), StateTensors(model), meta);
            if (trainer is not null) WriteTrainer(tmp, trainer);
            if (runState is not null) File.WriteAllText(Path.Combine(tmp, RunStateFile), runState);
            WriteManifest(tmp);
            Replace(tmp, directory);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Loads a policy saved by <c>Save</c>.</summary>
    /// <exception cref="CheckpointException">The folder is missing, incomplete, corrupt, or inconsistent.</exception>
    public static LoadedPolicy Load(string directory)
    {
        directory = Resolve(directory);
        VerifyManifest(directory);
        try
        {
            var config = MoeTransformerConfig.FromJson(File.ReadAllText(Path.Combine(directory, "config.json")));
            var tokenizer = ByteLevelTokenizer.FromJson(File.ReadAllText(Path.Combine(directory, "tokenizer.json")));
            var weights = SafeTensorsFile.Read(Path.Combine(directory, "model.safetensors"));
            var model = new MoeCausalLM(config);
            try
            {
                LoadState(model, weights);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            return new LoadedPolicy(model, tokenizer, directory, weights.Metadata);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or SafeTensorsFormatException or KeyNotFoundException)
        {
            throw new CheckpointException($"Checkpoint '{directory}' is invalid: {ex.Message}", ex);
        }
    }

    /// <summary>Whether <paramref name="directory"/> holds trainer state (optimizer moments, step, RNG).</summary>
    public static bool HasTrainerState(string directory) =>
        File.Exists(Path.Combine(Resolve(directory), "trainer_state.json"));

    /// <summary>Restores the optimizer moments, step count and RNG state saved with the checkpoint into <paramref name="trainer"/>.</summary>
    /// <exception cref="CheckpointException">No trainer state was saved, or it does not match the model.</exception>
    public static void RestoreTrainer(string directory, SftTrainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        RestoreCore(directory, trainer);
    }

    /// <summary>Restores the optimizer moments and update count saved with the checkpoint into <paramref name="trainer"/>.</summary>
    /// <exception cref="CheckpointException">No trainer state was saved, or it does not match the model.</exception>
    public static void RestoreTrainer(string directory, PolicyGradientTrainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        RestoreCore(directory, trainer);
    }

    private static void RestoreCore(string directory, ITrainerState trainer)
    {
        directory = Resolve(directory);
        VerifyManifest(directory);
        var statePath = Path.Combine(directory, "trainer_state.json");
        if (!File.Exists(statePath)) throw new CheckpointException($"Checkpoint '{directory}' holds no trainer state.");
        try
        {
            var state = JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
            var moments = SafeTensorsFile.Read(Path.Combine(directory, "optimizer.safetensors"));
            var rng = state["rng"]!.AsArray().Select(n => ulong.Parse(n!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            int step = state["step"]!.GetValue<int>();
            long adamStep = state["adam_step"]!.GetValue<long>();

            var stateDict = trainer.Optimizer.state_dict();
            var adamStates = stateDict.State;
            var names = trainer.ModelParameterNames;
            if (adamStates.Count != names.Count) throw new CheckpointException("Optimizer state does not match the model's parameters.");
            using var _ = no_grad();
            for (int i = 0; i < names.Count; i++)
            {
                var s = (AdamW.State)adamStates[i];
                s.step = adamStep;
                CopyInto(s.exp_avg, moments[$"{names[i]}.exp_avg"]);
                CopyInto(s.exp_avg_sq, moments[$"{names[i]}.exp_avg_sq"]);
            }
            // state_dict() may hand out copies: load the edited dictionary back into the optimizer.
            trainer.Optimizer.load_state_dict(stateDict);
            trainer.StepCount = step;
            if (rng.Length == 4) trainer.Random?.SetState(new RandomState(rng[0], rng[1], rng[2], rng[3]));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or SafeTensorsFormatException or KeyNotFoundException
                                       or InvalidOperationException or NullReferenceException or JsonException)
        {
            throw new CheckpointException($"Trainer state in '{directory}' is invalid: {ex.Message}", ex);
        }
    }

    private static IEnumerable<SafeTensor> StateTensors(MoeCausalLM model)
    {
        foreach (var (name, tensor) in model.state_dict())
        {
            yield return ToSafeTensor(name, tensor);
        }
    }

    private static SafeTensor ToSafeTensor(string name, Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().contiguous();
        return cpu.dtype switch
        {
            ScalarType.Float32 => SafeTensor.FromSingles(name, cpu.shape, cpu.data<float>().ToArray()),
            ScalarType.Int64 => SafeTensor.FromInt64s(name, cpu.shape, cpu.data<long>().ToArray()),
            _ => throw new NotSupportedException($"Tensor '{name}' has unsupported dtype {cpu.dtype}."),
        };
    }

    private static void LoadState(MoeCausalLM model, SafeTensorsContent weights)
    {
        var state = model.state_dict();
        var unexpected = weights.Tensors.Keys.Except(state.Keys).ToArray();
        if (unexpected.Length > 0) throw new CheckpointException($"Unexpected tensors in model.safetensors: {string.Join(", ", unexpected)}.");
        using var _ = no_grad();
        foreach (var (name, target) in state)
        {
            if (!weights.Tensors.TryGetValue(name, out var saved)) throw new CheckpointException($"model.safetensors lacks tensor '{name}'.");
            CopyInto(target, saved);
        }
    }

    private static void CopyInto(Tensor target, SafeTensor saved)
    {
        if (!saved.Shape.SequenceEqual(target.shape))
        {
            throw new CheckpointException($"Tensor '{saved.Name}' has shape [{string.Join(",", saved.Shape)}]; the model expects [{string.Join(",", target.shape)}].");
        }
        using var source = target.dtype switch
        {
            ScalarType.Float32 => tensor(saved.ToSingles(), target.shape),
            ScalarType.Int64 => tensor(saved.ToInt64s(), target.shape),
            _ => throw new CheckpointException($"Tensor '{saved.Name}' has unsupported dtype {target.dtype}."),
        };
        EnsureFinite(saved.Name, source, "the checkpoint is unusable");
        target.copy_(source);
    }

    /// <summary>The one finiteness check of saving and loading: floating-point weights must hold no NaN or infinity.</summary>
    private static void EnsureFinite(string name, Tensor value, string consequence)
    {
        if (value.is_floating_point() && !value.isfinite().all().item<bool>())
            throw new CheckpointException($"Tensor '{name}' holds non-finite values (NaN or infinity); {consequence}.");
    }

    private static void WriteTrainer(string folder, ITrainerState trainer)
    {
        var adamStates = trainer.Optimizer.state_dict().State;
        var names = trainer.ModelParameterNames;
        var tensors = new List<SafeTensor>();
        long adamStep = 0;
        for (int i = 0; i < names.Count && i < adamStates.Count; i++)
        {
            var s = (AdamW.State)adamStates[i];
            adamStep = s.step;
            tensors.Add(ToSafeTensor($"{names[i]}.exp_avg", s.exp_avg));
            tensors.Add(ToSafeTensor($"{names[i]}.exp_avg_sq", s.exp_avg_sq));
        }
        SafeTensorsFile.Write(Path.Combine(folder, "optimizer.safetensors"), tensors);
        ulong[] rng = trainer.Random?.GetState() is { } r ? [r.S0, r.S1, r.S2, r.S3] : [];
        var state = new JsonObject
        {
            ["step"] = trainer.StepCount,
            ["adam_step"] = adamStep,
            ["rng"] = new JsonArray(rng.Select(v => (JsonNode)v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
            ["options"] = JsonSerializer.SerializeToNode(trainer.Options),
        };
        File.WriteAllText(Path.Combine(folder, "trainer_state.json"), state.ToJsonString(s_indented));
    }

    private static void WriteManifest(string folder)
    {
        var files = new JsonObject();
        foreach (var path in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            files[name] = new JsonObject { ["bytes"] = new FileInfo(path).Length, ["sha256"] = Hash(path) };
        }
        var manifest = new JsonObject { ["format_version"] = FormatVersion, ["files"] = files };
        var manifestPath = Path.Combine(folder, ManifestFile);
        using (var stream = new FileStream(manifestPath, FileMode.CreateNew, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, manifest, s_indented);
            stream.Flush(flushToDisk: true);
        }
    }

    private static void VerifyManifest(string directory)
    {
        var manifestPath = Path.Combine(directory, ManifestFile);
        if (!File.Exists(manifestPath)) throw new CheckpointException($"Checkpoint '{directory}' is incomplete: {ManifestFile} is missing.");
        JsonObject files;
        try
        {
            var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
            if (manifest["format_version"]?.GetValue<int>() != FormatVersion)
                throw new CheckpointException($"Checkpoint '{directory}' has an unsupported format version.");
            files = manifest["files"]!.AsObject();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new CheckpointException($"Checkpoint '{directory}' has a corrupt {ManifestFile}: {ex.Message}", ex);
        }
        foreach (var (name, entry) in files)
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path)) throw new CheckpointException($"Checkpoint '{directory}' is missing {name}.");
            long expected = entry!["bytes"]!.GetValue<long>();
            long actual = new FileInfo(path).Length;
            if (actual != expected) throw new CheckpointException($"Checkpoint file {name} is truncated or altered: {actual} bytes, expected {expected}.");
            if (Hash(path) != entry["sha256"]!.GetValue<string>()) throw new CheckpointException($"Checkpoint file {name} is corrupt (SHA-256 mismatch).");
        }
        foreach (var required in new[] { "config.json", "tokenizer.json", "model.safetensors" })
        {
            if (!files.ContainsKey(required)) throw new CheckpointException($"Checkpoint '{directory}' lacks {required}.");
        }
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Returns the folder to read: the target, or a complete backup left by a crash mid-replace.</summary>
    private static string Resolve(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = Path.GetFullPath(directory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        if (Directory.Exists(directory)) return directory;
        var parent = Path.GetDirectoryName(directory);
        if (parent is not null && Directory.Exists(parent))
        {
            var backup = Directory.GetDirectories(parent, Path.GetFileName(directory) + ".old-*")
                .Where(d => File.Exists(Path.Combine(d, ManifestFile)))
                .OrderByDescending(Directory.GetLastWriteTimeUtc)
                .FirstOrDefault();
            if (backup is not null) return backup;
        }
        throw new CheckpointException($"No checkpoint at '{directory}'.");
    }

    private static void Replace(string tmp, string directory)
    {
        if (!Directory.Exists(directory))
        {
            Directory.Move(tmp, directory);
            return;
        }
        var old = $"{directory}.old-{Guid.NewGuid():N}";
        Directory.Move(directory, old);
        Directory.Move(tmp, directory);
        TryDelete(old);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary folder is never mistaken for a checkpoint (it has another name).
        }
    }
}
