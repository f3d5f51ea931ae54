using Agentic.Core.Tokenization;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Modeling;
using Agentic.Rl.Tests.Modeling;
using Agentic.Rl.Tests.Training;
using Agentic.Rl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Agentic.Rl.Tests.Checkpoints;

public sealed class PolicyCheckpointTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "agentic-ckpt-" + Guid.NewGuid().ToString("N"));
    private readonly ByteLevelTokenizer _tokenizer = ByteLevelTokenizer.CreateDefault();

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static float[] Logits(MoeCausalLM model)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.eval();
        var ids = tensor(new long[] { 1, 5, 9, 13, 17, 21, 25, 29 }).reshape(2, 4);
        return model.forward(new CausalLMInput(ids)).Logits.data<float>().ToArray();
    }

    private static SftTrainer Trainer(MoeCausalLM model) =>
        new(model, 0, new SftOptions { Steps = 20, BatchSize = 4, LearningRate = 5e-3, WarmupSteps = 2, Seed = 7 });

    [Fact]
    public void Round_trip_gives_identical_logits_and_config()
    {
        var dir = Path.Combine(_root, "ckpt");
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 41);
        using (var trainer = Trainer(model))
        {
            for (int i = 0; i < 3; i++) trainer.Step(trainer.SampleBatch(SftTrainerTests.TinyData()));
        }
        PolicyCheckpoint.Save(dir, model, _tokenizer);

        var loaded = PolicyCheckpoint.Load(dir);
        using var restored = loaded.Model;
        Assert.Equal(model.Config, restored.Config);
        Assert.Equal(Logits(model), Logits(restored));
        Assert.Equal(_tokenizer.ToJson(), loaded.Tokenizer.ToJson());
        Assert.Equal(model.MoeLayers[0].RouterBias.data<float>().ToArray(), restored.MoeLayers[0].RouterBias.data<float>().ToArray());
        Assert.DoesNotContain(Directory.GetDirectories(_root), d => d.Contains(".tmp-") || d.Contains(".old-"));
    }

    [Fact]
    public void Resumed_training_is_bit_identical_to_uninterrupted_training()
    {
        var data = SftTrainerTests.TinyData();
        var dir = Path.Combine(_root, "resume");

        using var straight = new MoeCausalLM(TinyModels.Config(), seed: 42);
        using (var trainer = Trainer(straight))
        {
            for (int i = 0; i < 6; i++) trainer.Step(trainer.SampleBatch(data));
        }

        using var first = new MoeCausalLM(TinyModels.Config(), seed: 42);
        using (var trainer = Trainer(first))
        {
            for (int i = 0; i < 3; i++) trainer.Step(trainer.SampleBatch(data));
            PolicyCheckpoint.Save(dir, first, _tokenizer, trainer);
            // Overwrite once more so the atomic replace path is exercised.
            PolicyCheckpoint.Save(dir, first, _tokenizer, trainer);
        }

        var loaded = PolicyCheckpoint.Load(dir);
        using var resumed = loaded.Model;
        using (var trainer = Trainer(resumed))
        {
            PolicyCheckpoint.RestoreTrainer(dir, trainer);
            Assert.Equal(3, trainer.StepCount);
            for (int i = 0; i < 3; i++) trainer.Step(trainer.SampleBatch(data));
        }

        var a = straight.state_dict();
        var b = resumed.state_dict();
        Assert.All(a, kv => Assert.True(kv.Value.equal(b[kv.Key]).all().item<bool>(), kv.Key));
    }

    [Fact]
    public void Corrupt_truncated_or_incomplete_checkpoints_raise_a_clear_error()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 43);
        string Fresh(string name)
        {
            var dir = Path.Combine(_root, name);
            PolicyCheckpoint.Save(dir, model, _tokenizer);
            return dir;
        }

        var flipped = Fresh("flipped");
        var weights = Path.Combine(flipped, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^5] ^= 0x40;
        File.WriteAllBytes(weights, bytes);
        Assert.Contains("corrupt", Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(flipped)).Message);

        var truncated = Fresh("truncated");
        weights = Path.Combine(truncated, "model.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..^100]);
        Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(truncated)).Message);

        var incomplete = Fresh("incomplete");
        File.Delete(Path.Combine(incomplete, "manifest.json"));
        Assert.Contains("incomplete", Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(incomplete)).Message);

        Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(Path.Combine(_root, "missing")));
        Assert.Throws<CheckpointException>(() => PolicyCheckpoint.RestoreTrainer(Fresh("no-trainer"), Trainer(model)));
    }

    [Fact]
    public void Non_finite_weights_are_neither_saved_over_a_good_checkpoint_nor_loaded()
    {
        var dir = Path.Combine(_root, "good");
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 44);
        PolicyCheckpoint.Save(dir, model, _tokenizer);
        var good = File.ReadAllBytes(Path.Combine(dir, "model.safetensors"));

        using (no_grad()) model.LmHead.weight![0, 3] = float.NaN;
        var error = Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Save(dir, model, _tokenizer));
        Assert.Contains("lm_head.weight", error.Message);
        Assert.Equal(good, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Assert.DoesNotContain(Directory.GetDirectories(_root), d => d.Contains(".tmp-"));

        // A file written by another tool with a NaN in it (the manifest matches: the bytes are as written).
        var nan = Path.Combine(_root, "nan");
        NanCheckpoint.Write(dir, nan);
        Assert.Contains("non-finite", Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(nan)).Message);
    }

    [Fact]
    public void A_crash_between_the_renames_leaves_the_previous_checkpoint_loadable()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 44);
        var dir = Path.Combine(_root, "crash");
        PolicyCheckpoint.Save(dir, model, _tokenizer);
        // Simulate a crash after the old folder was moved aside and before the new one was moved in.
        Directory.Move(dir, dir + ".old-0123");
        using var loaded = PolicyCheckpoint.Load(dir).Model;
        Assert.Equal(Logits(model), Logits(loaded));
    }
}
