using Agentic.Core.Sampling;
using Agentic.Core.Generation;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;
using Agentic.Rl.Tests.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Agentic.Rl.Tests.Generation;

public class PolicyGeneratorTests
{
    private static float[] FullLogits(MoeCausalLM model, IReadOnlyList<int> ids)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);
        return model.forward(new CausalLMInput(input)).Logits[0, -1].data<float>().ToArray();
    }

    [Fact]
    public void Greedy_generation_equals_step_by_step_argmax_of_full_recomputation()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 21);
        var generator = new PolicyGenerator(model, padTokenId: 0);
        int[] prompt = [3, 9, 27, 14];
        var result = generator.Generate([prompt], new SamplingOptions { Temperature = 0, MaxNewTokens = 10 })[0];

        Assert.Equal(10, result.TokenIds.Length);
        Assert.Equal(FinishReason.Length, result.FinishReason);
        var sequence = prompt.ToList();
        for (int i = 0; i < result.TokenIds.Length; i++)
        {
            var logits = FullLogits(model, sequence);
            int argmax = Array.IndexOf(logits, logits.Max());
            Assert.Equal(argmax, result.TokenIds[i]);
            // Log-prob of the greedy token under log_softmax of the full recomputation.
            double logSumExp = Math.Log(logits.Sum(l => Math.Exp(l - logits.Max()))) + logits.Max();
            Assert.Equal(logits[argmax] - logSumExp, result.LogProbs[i], 1e-4);
            sequence.Add(result.TokenIds[i]);
        }
    }

    [Fact]
    public void Batched_ragged_prompts_match_individual_generation_token_in_token_out()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 22);
        var generator = new PolicyGenerator(model, padTokenId: 0);
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 6 };
        int[][] prompts = [[5, 6, 7, 8, 9, 10, 11], [12, 13], [40, 41, 42, 43]];

        var batched = generator.Generate(prompts, options);
        for (int b = 0; b < prompts.Length; b++)
        {
            var single = generator.Generate([prompts[b]], options)[0];
            Assert.Equal(single.TokenIds, batched[b].TokenIds);
            for (int i = 0; i < single.LogProbs.Length; i++) Assert.Equal(single.LogProbs[i], batched[b].LogProbs[i], 1e-4);
        }

        // Token-in, token-out: continuing from prompt + first 3 generated ids gives the remaining ids.
        var continued = generator.Generate([prompts[0].Concat(batched[0].TokenIds.Take(3)).ToArray()], new SamplingOptions { Temperature = 0, MaxNewTokens = 3 })[0];
        Assert.Equal(batched[0].TokenIds.Skip(3), continued.TokenIds);
    }

    [Fact]
    public void Rows_that_stop_early_leave_the_batch_without_changing_the_others()
    {
        // Greedy rows stop on different tokens at different steps; the batch drops finished rows (and their cache) as it
        // goes, and every row must still equal its own single-prompt generation.
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 24);
        var generator = new PolicyGenerator(model, padTokenId: 0);
        int[][] prompts = [.. Enumerable.Range(0, 12).Select(i => Enumerable.Range(1 + i * 3, 2 + i % 5).ToArray())];
        var free = generator.Generate(prompts, new SamplingOptions { Temperature = 0, MaxNewTokens = 12 });
        // Stop each row on the token it emits at its own step (row % 8) + 1, so rows finish one after another.
        var stops = prompts.Select((_, b) => free[b].TokenIds[b % 8]).Distinct().ToArray();
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 12, StopTokenIds = stops };

        var batched = generator.Generate(prompts, options);
        Assert.True(batched.Select(r => r.TokenIds.Length).Distinct().Count() > 2, "rows should stop at different steps");
        for (int b = 0; b < prompts.Length; b++)
        {
            var single = generator.Generate([prompts[b]], options)[0];
            Assert.Equal(single.TokenIds, batched[b].TokenIds);
            Assert.Equal(single.FinishReason, batched[b].FinishReason);
            for (int i = 0; i < single.LogProbs.Length; i++) Assert.Equal(single.LogProbs[i], batched[b].LogProbs[i], 1e-4);
        }
    }

    [Fact]
    public void Sampling_is_reproducible_with_a_seed_and_stops_on_stop_tokens()
    {
        using var model = new MoeCausalLM(TinyModels.Config(vocab: 8), seed: 23);
        var generator = new PolicyGenerator(model, padTokenId: 0);
        var options = new SamplingOptions { Temperature = 1.5f, MaxNewTokens = 40, Seed = 99, StopTokenIds = [7] };
        int[][] prompts = [[1, 2, 3], [4, 5], [6]];

        var first = generator.Generate(prompts, options);
        var second = generator.Generate(prompts, options);
        for (int b = 0; b < prompts.Length; b++)
        {
            Assert.Equal(first[b].TokenIds, second[b].TokenIds);
            Assert.Equal(first[b].LogProbs, second[b].LogProbs);
            var ids = first[b].TokenIds;
            if (first[b].FinishReason == FinishReason.Stop)
            {
                Assert.Equal(7, ids[^1]);
                Assert.DoesNotContain(7, ids[..^1]);
            }
            else
            {
                Assert.Equal(40, ids.Length);
                Assert.DoesNotContain(7, ids);
            }
            Assert.All(first[b].LogProbs, lp => Assert.True(lp <= 0 && float.IsFinite(lp)));
        }
        Assert.Contains(first, r => r.FinishReason == FinishReason.Stop);
    }

    [Fact]
    public void Rejects_ids_outside_the_vocabulary_and_prompts_too_long()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 24);
        var generator = new PolicyGenerator(model, padTokenId: 0);
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 4 };
        Assert.Throws<ArgumentException>(() => generator.Generate([[1, 64]], options));
        Assert.Throws<ArgumentException>(() => generator.Generate([Array.Empty<int>()], options));
        Assert.Throws<ArgumentException>(() => generator.Generate([Enumerable.Repeat(1, 128).ToArray()], options));
    }
}
