using System.Diagnostics;
using Agentic.Core.Randomness;
using Agentic.Rl.Modeling;
using Agentic.Rl.Training;
using Agentic.Training.Tasks.Addition;
using TorchSharp;
using static TorchSharp.torch;

namespace Agentic.Cli.Jobs;

/// <summary>What <c>agentic bench train</c> measured (times in milliseconds, medians over the timed steps).</summary>
internal sealed record TrainBenchmarkReport(
    int BatchSize,
    double TokensPerStep,
    double StepMilliseconds,
    double MatmulMilliseconds,
    double ForwardMilliseconds,
    double BackwardMilliseconds,
    double OptimizerMilliseconds,
    int MatmulCount,
    double MatmulGflops,
    int Threads)
{
    public double TokensPerSecond => TokensPerStep / (StepMilliseconds / 1000.0);
    public double StepToMatmulRatio => StepMilliseconds / MatmulMilliseconds;
    public double MatmulGflopsPerSecond => MatmulGflops / (MatmulMilliseconds / 1000.0);
}

/// <summary>
/// Measures a training step of the default policy against the matrix multiplications that step contains, timed
/// alone in the same process: every linear layer's forward product and its two backward products, the attention
/// products, with the routed experts' token counts taken from the timed steps' own routing.
/// </summary>
internal static class TrainBenchmark
{
    public static TrainBenchmarkReport Run(int batchSize, int steps, int warmup, ulong seed)
    {
        var tokenizer = DefaultPolicy.CreateTokenizer();
        var template = DefaultPolicy.CreateTemplate(tokenizer);
        var config = DefaultPolicy.Config(tokenizer);
        var task = new AdditionTask();
        var random = new DeterministicRandom(seed);
        var data = task.SampleTraining(random, 4096).Select(p => template.Encode(p.ToDemonstration(AdditionFormat.ReversedScratchpad))).ToArray();

        using var model = new MoeCausalLM(config, seed: (long)seed);
        using var trainer = new SftTrainer(model, tokenizer.EndOfTextId, new SftOptions { BatchSize = batchSize, Steps = 1_000_000, WarmupSteps = 0, Seed = seed });
        var batches = Enumerable.Range(0, warmup + steps).Select(_ => trainer.SampleBatch(data)).ToArray();

        for (int i = 0; i < warmup; i++) trainer.Step(batches[i]);
        model.ResetRoutingStatistics();
        var stepTimes = new List<double>();
        double tokens = 0;
        long sequenceLength = 0;
        for (int i = warmup; i < warmup + steps; i++)
        {
            var sw = Stopwatch.StartNew();
            var result = trainer.Step(batches[i]);
            stepTimes.Add(sw.Elapsed.TotalMilliseconds);
            tokens += result.Tokens;
            sequenceLength += batches[i].Max(s => s.Count) - 1;
        }
        var routing = model.GetRoutingStatistics();

        // Breakdown of the same step, phase by phase (a replica of SftTrainer.Step with timers between phases).
        var (forward, backward, optimizer) = PhaseTimes(model, trainer, batches.Skip(warmup).ToArray(), tokenizer.EndOfTextId);

        // The step's matrix multiplications, timed alone.
        int avgLength = (int)Math.Round((double)sequenceLength / steps);
        var shapes = MatmulShapes(config, batchSize, avgLength, routing, steps);
        double matmul = TimeMatmuls(shapes, repeats: Math.Max(5, steps / 2));
        double gflops = shapes.Sum(s => 2.0 * s.Batch * s.M * s.K * s.N) / 1e9;

        return new TrainBenchmarkReport(batchSize, tokens / steps, Median(stepTimes), matmul, forward, backward, optimizer,
            shapes.Count, gflops, torch.get_num_threads());
    }

    private static (double Forward, double Backward, double Optimizer) PhaseTimes(MoeCausalLM model, SftTrainer trainer,
        IReadOnlyList<IReadOnlyList<Agentic.Core.Chat.TokenizedConversation>> batches, int pad)
    {
        var parameters = model.parameters().ToArray();
        using var optimizer = optim.AdamW(parameters, 1e-4);
        var f = new List<double>();
        var b = new List<double>();
        var o = new List<double>();
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            using var data = TokenBatch.Create(batch, pad);
            var sw = Stopwatch.StartNew();
            var logits = model.forward(new CausalLMInput(data.Inputs)).Logits;
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), data.Targets.reshape(-1), ignore_index: TokenBatch.IgnoreIndex);
            _ = loss.item<float>();
            f.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            optimizer.zero_grad();
            loss.backward();
            b.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            model.UpdateRouterBias();
            o.Add(sw.Elapsed.TotalMilliseconds);
        }
        return (Median(f), Median(b), Median(o));
    }

    internal readonly record struct MatmulShape(long Batch, long M, long K, long N);

    /// <summary>Forward product [M,K]x[K,N] plus its two backward products dX = dY W^T and dW = X^T dY.</summary>
    private static IEnumerable<MatmulShape> WithBackward(long batch, long m, long k, long n) =>
        [new(batch, m, k, n), new(batch, m, n, k), new(batch, k, m, n)];

    internal static List<MatmulShape> MatmulShapes(MoeTransformerConfig c, int batchSize, int length, RoutingStatistics routing, int steps)
    {
        long tokens = (long)batchSize * length;
        long h = c.HiddenSize, d = c.HeadDim;
        var shapes = new List<MatmulShape>();
        for (int layer = 0; layer < c.NumHiddenLayers; layer++)
        {
            shapes.AddRange(WithBackward(1, tokens, h, c.NumAttentionHeads * d));      // q
            shapes.AddRange(WithBackward(1, tokens, h, c.NumKeyValueHeads * d) );      // k
            shapes.AddRange(WithBackward(1, tokens, h, c.NumKeyValueHeads * d));       // v
            shapes.AddRange(WithBackward(1, tokens, c.NumAttentionHeads * d, h));      // o
            long heads = (long)batchSize * c.NumAttentionHeads;
            shapes.AddRange(WithBackward(heads, length, d, length));                   // q k^T
            shapes.AddRange(WithBackward(heads, length, length, d));                   // p v
            shapes.AddRange(WithBackward(1, tokens, h, c.NumRoutableExperts));         // router
            for (int e = 0; e < c.NumExperts; e++)
            {
                long routed = (long)Math.Round((double)routing.TokensPerExpert[layer][e] / steps);
                if (routed == 0) continue;
                shapes.AddRange(WithBackward(1, routed, h, c.MoeIntermediateSize));    // gate
                shapes.AddRange(WithBackward(1, routed, h, c.MoeIntermediateSize));    // up
                shapes.AddRange(WithBackward(1, routed, c.MoeIntermediateSize, h));    // down
            }
            if (c.NumSharedExperts > 0)
            {
                shapes.AddRange(WithBackward(1, tokens, h, c.SharedIntermediateSize));
                shapes.AddRange(WithBackward(1, tokens, h, c.SharedIntermediateSize));
                shapes.AddRange(WithBackward(1, tokens, c.SharedIntermediateSize, h));
            }
        }
        shapes.AddRange(WithBackward(1, tokens, h, c.VocabSize));                      // lm_head
        return shapes;
    }

    /// <summary>Median time of running every product once, back to back, on preallocated operands.</summary>
    private static double TimeMatmuls(List<MatmulShape> shapes, int repeats)
    {
        using var scope = NewDisposeScope();
        var operands = shapes.Select(s => s.Batch == 1
            ? (randn(s.M, s.K), randn(s.K, s.N))
            : (randn(s.Batch, s.M, s.K), randn(s.Batch, s.K, s.N))).ToArray();
        var times = new List<double>();
        for (int r = 0; r < repeats + 2; r++)
        {
            var sw = Stopwatch.StartNew();
            foreach (var (a, b) in operands)
            {
                using var product = a.matmul(b);
            }
            if (r >= 2) times.Add(sw.Elapsed.TotalMilliseconds);
        }
        return Median(times);
    }

    /// <summary>The median of the values (the list is left as it is).</summary>
    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
